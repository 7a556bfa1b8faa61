#!/usr/bin/env python3
"""Writes ../prompts_v1.json (MLflow 2.17's v1 GenAI judge metrics: the prompt
text, verbatim) and golden/*.txt (the judge prompt MLflow renders for the
cases below), for evaluate/llm/judge's tests.

Run from evaluate/llm/judge: python3 testdata/gen.py

The text below is copied from MLflow (Apache-2.0, github.com/mlflow/mlflow):
  mlflow/metrics/genai/prompts/v1.py        grading_system_prompt_template, the five
                                            metric classes (definition, grading_prompt,
                                            grading_context_columns, default_examples),
                                            default_parameters
  mlflow/metrics/genai/base.py              EvaluationExample.__str__'s segments
  mlflow/metrics/genai/metric_definitions.py include_input=False for answer_similarity
                                            and faithfulness
The rendering (PromptTemplate.partial_fill/format, EvaluationExample.__str__,
genai_metric._format_args_string) is re-implemented here with Python's own
str.format, independently of the Go code it checks; nothing imports mlflow.
"""

import json
import os
import string

SOURCE = {
    "repository": "https://github.com/mlflow/mlflow",
    "files": {
        "mlflow/metrics/genai/prompts/v1.py": "d1d4b54002a99b6c14c52d5b26fe0aebbc136c91",
        "mlflow/metrics/genai/base.py": "2c8ea3a6f85efbaed8cc349901b4f9705d1aca1f",
        "mlflow/metrics/genai/prompt_template.py": "e1694d25119246222e2ebf4c5a9482b90c8ce940",
        "mlflow/metrics/genai/genai_metric.py": "004d7de0da5194f34564ce205c6ea593355c5758",
        "mlflow/metrics/genai/metric_definitions.py": "449f48edc011007e7a505147a9b6ddfc5758f208",
    },
    "note": "the commits the text was read at (the index held no tagged v2.17.x copy of these files); "
    "the prompt text, examples, parameters, parsing and aggregation are those of MLflow 2.17's v1 metrics",
}

PARAMETERS = {"temperature": 0.0, "max_tokens": 200, "top_p": 1.0}

TEMPLATE = [
    """
Task:
You must return the following fields in your response in two lines, one below the other:
score: Your numerical score for the model's {name} based on the rubric
justification: Your reasoning about the model's {name} score

You are an impartial judge. You will be given an input that was sent to a machine
learning model, and you will be given an output that the model produced. You
may also be given additional information that was used by the model to generate the output.

Your task is to determine a numerical score called {name} based on the input and output.
A definition of {name} and a grading rubric are provided below.
You must use the grading rubric to determine your score. You must also justify your score.

Examples could be included below for reference. Make sure to use them as references and to
understand them before completing the task.""",
    """

Input:
{input}""",
    """

Output:
{output}

{grading_context_columns}

Metric definition:
{definition}

Grading rubric:
{grading_prompt}

{examples}

You must return the following fields in your response in two lines, one below the other:
score: Your numerical score for the model's {name} based on the rubric
justification: Your reasoning about the model's {name} score

Do not add additional new lines. Do not add any other fields.
    """,
]

EXAMPLE_TEMPLATE = [
    """
Example Input:
{input}
""",
    """
Example Output:
{output}
""",
    """
Additional information used by the model:
{grading_context}
""",
    """
Example score: {score}
Example justification: {justification}
        """,
]

MLFLOW_CONTEXT = (
    "MLflow is an open-source platform for managing the end-to-end "
    "machine learning (ML) lifecycle. It was developed by Databricks, a company "
    "that specializes in big data and machine learning solutions. MLflow is "
    "designed to address the challenges that data scientists and machine learning "
    "engineers face when developing, training, and deploying machine learning "
    "models."
)


def ex(input, output, score, justification, context=None):
    return {"input": input, "output": output, "score": score, "justification": justification,
            "grading_context": context}


METRICS = [
    {
        "name": "answer_similarity",
        "include_input": False,
        "grading_context_columns": ["targets"],
        "definition": (
            "Answer similarity is evaluated on the degree of semantic similarity of the provided "
            "output to the provided targets, which is the ground truth. Scores can be assigned based "
            "on the gradual similarity in meaning and description to the provided targets, where a "
            "higher score indicates greater alignment between the provided output and provided targets."
        ),
        "grading_prompt": (
            "Answer similarity: Below are the details for different scores:\n"
            "- Score 1: The output has little to no semantic similarity to the provided targets.\n"
            "- Score 2: The output displays partial semantic similarity to the provided targets on "
            "some aspects.\n"
            "- Score 3: The output has moderate semantic similarity to the provided targets.\n"
            "- Score 4: The output aligns with the provided targets in most aspects and has "
            "substantial semantic similarity.\n"
            "- Score 5: The output closely aligns with the provided targets in all significant aspects."
        ),
        "examples": [
            ex(
                "What is MLflow?",
                "MLflow is an open-source platform.",
                2,
                "The provided output is partially similar to the target, as it captures the "
                "general idea that MLflow is an open-source platform. However, it lacks the comprehensive "
                "details and context provided in the target about MLflow's purpose, development, and "
                "challenges it addresses. Therefore, it demonstrates partial, but not complete, "
                "semantic similarity.",
                [["targets", MLFLOW_CONTEXT]],
            ),
            ex(
                "What is MLflow?",
                "MLflow is an open-source platform for managing machine learning workflows, "
                "including experiment tracking, model packaging, versioning, and deployment, simplifying "
                "the ML lifecycle.",
                4,
                "The provided output aligns closely with the target. It covers various key "
                "aspects mentioned in the target, including managing machine learning workflows, "
                "experiment tracking, model packaging, versioning, and deployment. While it may not include"
                " every single detail from the target, it demonstrates substantial semantic similarity.",
                [["targets", MLFLOW_CONTEXT]],
            ),
        ],
    },
    {
        "name": "faithfulness",
        "include_input": False,
        "grading_context_columns": ["context"],
        "definition": (
            "Faithfulness is only evaluated with the provided output and provided context, please "
            "ignore the provided input entirely when scoring faithfulness. Faithfulness assesses "
            "how much of the provided output is factually consistent with the provided context. A "
            "higher score indicates that a higher proportion of claims present in the output can be "
            "derived from the provided context. Faithfulness does not consider how much extra "
            "information from the context is not present in the output."
        ),
        "grading_prompt": (
            "Faithfulness: Below are the details for different scores:\n"
            "- Score 1: None of the claims in the output can be inferred from the provided context.\n"
            "- Score 2: Some of the claims in the output can be inferred from the provided context, "
            "but the majority of the output is missing from, inconsistent with, or contradictory to "
            "the provided context.\n"
            "- Score 3: Half or more of the claims in the output can be inferred from the provided "
            "context.\n"
            "- Score 4: Most of the claims in the output can be inferred from the provided context, "
            "with very little information that is not directly supported by the provided context.\n"
            "- Score 5: All of the claims in the output are directly supported by the provided "
            "context, demonstrating high faithfulness to the provided context."
        ),
        "examples": [
            ex(
                "How is MLflow related to Databricks?",
                "Databricks is a company that specializes in big data and machine learning "
                "solutions. MLflow has nothing to do with Databricks. MLflow is an open-source platform "
                "for managing the end-to-end machine learning (ML) lifecycle.",
                2,
                'The output claims that "MLflow has nothing to do with Databricks" which is '
                'contradictory to the provided context that states "It was developed by Databricks". This '
                'is a major inconsistency. However, the output correctly identifies that "MLflow is an '
                'open-source platform for managing the end-to-end machine learning (ML) lifecycle" and '
                '"Databricks is a company that specializes in big data and machine learning solutions", '
                "which are both supported by the context. Therefore, some of the claims in the output can "
                "be inferred from the provided context, but the majority of the output is inconsistent "
                "with the provided context, leading to a faithfulness score of 2.",
                [["context", "MLflow is an open-source platform for managing the end-to-end machine "
                  "learning (ML) lifecycle. It was developed by Databricks, a company that specializes "
                  "in big data and machine learning solutions. MLflow is designed to address the "
                  "challenges that data scientists and machine learning engineers face when developing, "
                  "training, and deploying machine learning models."]],
            ),
            ex(
                "How is MLflow related to Databricks?",
                "Databricks is a company that specializes in big data and machine learning "
                "solutions.",
                5,
                'The output states that "Databricks is a company that specializes in big data'
                ' and machine learning solutions." This claim is directly supported by the context, which '
                'states "It was developed by Databricks, a company that specializes in big data and '
                'machine learning solutions." Therefore, the faithfulness score is 5 as all the claims in '
                'the output are directly supported by the provided context."',
                [["context", MLFLOW_CONTEXT]],
            ),
        ],
    },
    {
        "name": "answer_correctness",
        "include_input": True,
        "grading_context_columns": ["targets"],
        "definition": (
            "Answer correctness is evaluated on the accuracy of the provided output based on the "
            "provided targets, which is the ground truth. Scores can be assigned based on the degree "
            "of semantic similarity and factual correctness of the provided output to the provided "
            "targets, where a higher score indicates higher degree of accuracy."
        ),
        "grading_prompt": (
            "Answer Correctness: Below are the details for different scores:\n"
            "- Score 1: The output is completely incorrect. It is completely different from or "
            "contradicts the provided targets.\n"
            "- Score 2: The output demonstrates some degree of semantic similarity and includes "
            "partially correct information. However, the output still has significant discrepancies "
            "with the provided targets or inaccuracies.\n"
            "- Score 3: The output addresses a couple of aspects of the input accurately, aligning "
            "with the provided targets. However, there are still omissions or minor inaccuracies.\n"
            "- Score 4: The output is mostly correct. It provides mostly accurate information, but "
            "there may be one or more minor omissions or inaccuracies.\n"
            "- Score 5: The output is correct. It demonstrates a high degree of accuracy and "
            "semantic similarity to the targets."
        ),
        "examples": [
            ex(
                "How is MLflow related to Databricks?",
                "Databricks is a data engineering and analytics platform designed to help "
                "organizations process and analyze large amounts of data. Databricks is a company "
                "specializing in big data and machine learning solutions.",
                2,
                "The output provided by the model does demonstrate some degree of semantic "
                "similarity to the targets, as it correctly identifies Databricks as a company "
                "specializing in big data and machine learning solutions. However, it fails to address "
                "the main point of the input question, which is the relationship between MLflow and "
                "Databricks. The output does not mention MLflow at all, which is a significant discrepancy "
                "with the provided targets. Therefore, the model's answer_correctness score is 2.",
                [["targets", "MLflow is an open-source platform for managing the end-to-end machine "
                  "learning (ML) lifecycle. It was developed by Databricks, a company that specializes "
                  "in big data and machine learning solutions. MLflow is designed to address the "
                  "challenges that data scientists and machine learning engineers face when developing, "
                  "training, and deploying machine learning models."]],
            ),
            ex(
                "How is MLflow related to Databricks?",
                "MLflow is a product created by Databricks to enhance the efficiency of machine "
                "learning processes.",
                4,
                "The output provided by the model is mostly correct. It correctly identifies "
                "that MLflow is a product created by Databricks. However, it does not mention that MLflow "
                "is an open-source platform for managing the end-to-end machine learning lifecycle, which "
                "is a significant part of its function. Therefore, while the output is mostly accurate, "
                "it has a minor omission, which is why it gets a score of 4 according to the grading "
                "rubric.",
                [["targets", "MLflow is an open-source platform for managing the end-to-end machine "
                  "learning (ML) lifecycle. It was developed by Databricks, a company that specializes "
                  "in big data and machine learning solutions. MLflow is designed to address the "
                  "challenges that data scientists and machine learning engineers face when developing, "
                  "training, and deploying machine learning models."]],
            ),
        ],
    },
    {
        "name": "answer_relevance",
        "include_input": True,
        "grading_context_columns": [],
        "definition": (
            "Answer relevance measures the appropriateness and applicability of the output with "
            "respect to the input. Scores should reflect the extent to which the output directly "
            "addresses the question provided in the input, and give lower scores for incomplete or "
            "redundant output."
        ),
        "grading_prompt": (
            "Answer relevance: Please give a score from 1-5 based on the degree of relevance to the "
            "input, where the lowest and highest scores are defined as follows:"
            "- Score 1: The output doesn't mention anything about the question or is completely "
            "irrelevant to the input.\n"
            "- Score 5: The output addresses all aspects of the question and all parts of the output "
            "are meaningful and relevant to the question."
        ),
        "examples": [
            ex(
                "How is MLflow related to Databricks?",
                "Databricks is a company that specializes in big data and machine learning "
                "solutions.",
                2,
                "The output provided by the model does give some information about "
                "Databricks, which is part of the input question. However, it does not address the main "
                "point of the question, which is the relationship between MLflow and Databricks. "
                "Therefore, while the output is not completely irrelevant, it does not fully answer the "
                "question, leading to a lower score.",
            ),
            ex(
                "How is MLflow related to Databricks?",
                "MLflow is a product created by Databricks to enhance the efficiency of machine "
                "learning processes.",
                5,
                "The output directly addresses the input question by explaining the "
                "relationship between MLflow and Databricks. It provides a clear and concise answer that "
                "MLflow is a product created by Databricks, and also adds relevant information about the "
                "purpose of MLflow, which is to enhance the efficiency of machine learning processes. "
                "Therefore, the output is highly relevant to the input and deserves a full score.",
            ),
        ],
    },
    {
        "name": "relevance",
        "include_input": True,
        "grading_context_columns": ["context"],
        "definition": (
            "Relevance encompasses the appropriateness, significance, and applicability of the output "
            "with respect to both the input and context. Scores should reflect the extent to which the "
            "output directly addresses the question provided in the input, given the provided context."
        ),
        "grading_prompt": (
            "Relevance: Below are the details for different scores:"
            "- Score 1: The output doesn't mention anything about the question or is completely "
            "irrelevant to the provided context.\n"
            "- Score 2: The output provides some relevance to the question and is somehow related "
            "to the provided context.\n"
            "- Score 3: The output mostly answers the question and is largely consistent with the "
            "provided context.\n"
            "- Score 4: The output answers the question and is consistent with the provided context.\n"
            "- Score 5: The output answers the question comprehensively using the provided context."
        ),
        "examples": [
            ex(
                "How is MLflow related to Databricks?",
                "Databricks is a data engineering and analytics platform designed to help "
                "organizations process and analyze large amounts of data. Databricks is a company "
                "specializing in big data and machine learning solutions.",
                2,
                "The output provides relevant information about Databricks, mentioning it "
                "as a company specializing in big data and machine learning solutions. However, it doesn't "
                "directly address how MLflow is related to Databricks, which is the specific question "
                "asked in the input. Therefore, the output is only somewhat related to the provided "
                "context.",
                [["context", "MLflow is an open-source platform for managing the end-to-end machine "
                  "learning (ML) lifecycle. It was developed by Databricks, a company that specializes "
                  "in big data and machine learning solutions. MLflow is designed to address the "
                  "challenges that data scientists and machine learning engineers face when developing, "
                  "training, and deploying machine learning models."]],
            ),
            ex(
                "How is MLflow related to Databricks?",
                "MLflow is a product created by Databricks to enhance the efficiency of machine "
                "learning processes.",
                4,
                "The output provides a relevant and accurate statement about the "
                "relationship between MLflow and Databricks. While it doesn't provide extensive detail, "
                "it still offers a substantial and meaningful response. To achieve a score of 5, the "
                "response could be further improved by providing additional context or details about "
                "how MLflow specifically functions within the Databricks ecosystem.",
                [["context", "MLflow is an open-source platform for managing the end-to-end machine "
                  "learning (ML) lifecycle. It was developed by Databricks, a company that specializes "
                  "in big data and machine learning solutions. MLflow is designed to address the "
                  "challenges that data scientists and machine learning engineers face when developing, "
                  "training, and deploying machine learning models."]],
            ),
        ],
    },
]


# --- MLflow's rendering, re-implemented with str.format -------------------

def fields(s):
    return [f for _, f, _, _ in string.Formatter().parse(s) if f]


def fmt(segments, **kw):
    """PromptTemplate.format: a segment is kept only when every field it uses has a value
    that is not None."""
    safe = {k: v for k, v in kw.items() if v is not None}
    return "".join(s.format(**safe) for s in segments if all(f in safe for f in fields(s)))


def partial(segments, **kw):
    """PromptTemplate.partial_fill."""
    safe = {k: v for k, v in kw.items() if v is not None}
    return [s.format_map({f: safe.get(f, "{" + f + "}") for f in fields(s)}) for s in segments]


def example_str(e, include_input):
    ctx = e["grading_context"]
    ctx_str = None if ctx is None else "\n".join(f"key: {k}\nvalue:\n{v}" for k, v in ctx)
    return fmt(EXAMPLE_TEMPLATE, input=e["input"] if include_input else None, output=e["output"],
               grading_context=ctx_str, score=e["score"], justification=e["justification"])


def eval_prompt(m):
    exs = m["examples"]
    examples = "" if not exs else "Examples:\n" + "\n".join(example_str(e, m["include_input"]) for e in exs)
    return partial(TEMPLATE, name=m["name"], definition=m["definition"], grading_prompt=m["grading_prompt"],
                   examples=examples)


def render(m, input, output, context):
    """One row's judge prompt: genai_metric's eval_fn with _format_args_string."""
    args = "" if not context else "Additional information used by the model:\n" + "\n".join(
        f"key: {k}\nvalue:\n{v}" for k, v in context)
    return fmt(eval_prompt(m), input=input if m["include_input"] else None, output=output,
               grading_context_columns=args)


CASES = [
    # (file, metric, input, output, grading context)
    ("answer_similarity", "answer_similarity", "What is MLflow?", "MLflow is a platform for the ML lifecycle.",
     [["targets", "MLflow is an open-source platform for managing the end-to-end ML lifecycle."]]),
    ("answer_correctness", "answer_correctness", "How is MLflow related to Databricks?",
     "MLflow was created at Databricks.", [["targets", "Databricks developed MLflow."]]),
    ("answer_relevance", "answer_relevance", "What is the capital of France?", "Paris is the capital of France.", []),
    ("faithfulness", "faithfulness", "Where is the Eiffel tower?", "The Eiffel tower is in Paris.",
     [["context", "The Eiffel tower, built in 1889, stands in Paris.\nIt is 330 m tall."]]),
    ("relevance", "relevance", "Who wrote Hamlet?", "Shakespeare wrote Hamlet.",
     [["context", "Hamlet is a tragedy by William Shakespeare."]]),
    # The values are not templates: braces and quotes pass through, multi-line text stays.
    ("answer_correctness_braces", "answer_correctness", "Format {name} with {{ x }}?",
     "Use str.format: '{0}' → \"ok\"\nline two", [["targets", "{} and } and {"]]),
    # A row without an input (None) drops the Input segment; an output of None drops the rest.
    ("answer_relevance_no_input", "answer_relevance", None, "Just an output.", []),
    ("relevance_no_output", "relevance", "A question?", None, [["context", "Some context."]]),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data = {"source": SOURCE, "parameters": PARAMETERS, "template": TEMPLATE, "example_template": EXAMPLE_TEMPLATE,
            "metrics": METRICS}
    with open(os.path.join(here, "..", "prompts_v1.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write("\n")
    cases = []
    for file, metric, inp, out, ctx in CASES:
        m = next(m for m in METRICS if m["name"] == metric)
        with open(os.path.join(here, "golden", file + ".txt"), "w", encoding="utf-8", newline="") as f:
            f.write(render(m, inp, out, ctx))
        cases.append({"file": file + ".txt", "metric": metric, "input": inp, "output": out, "context": ctx})
    with open(os.path.join(here, "golden", "cases.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
