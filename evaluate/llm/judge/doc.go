// Package judge computes MLflow 2.17's LLM-as-judge metrics (the v1
// GenAI metrics answer_similarity, answer_correctness, answer_relevance,
// faithfulness and relevance) through an MLflow Deployments (berth
// gateway) endpoint: MLflow's judge prompt for every row (its text
// embedded verbatim in prompts_v1.json, with the MLflow files it was
// copied from), MLflow's judge parameters (temperature 0, max_tokens 200,
// top_p 1), MLflow's parsing of the judge's answer
// (_extract_score_and_justification: JSON first, then two regular
// expressions; an answer it cannot read leaves the score missing and keeps
// the text as the justification), and MLflow's columns and aggregations:
// NAME/v1/score and NAME/v1/justification per row, NAME/v1/mean,
// /variance and /p90 over the scores that were read.
//
// It is below evaluate/llm (it uses its Column) and knows nothing of
// files, runs or flags: rows of text in, scores and justifications out.
package judge
