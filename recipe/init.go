package recipe

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

//go:embed scaffold
var scaffold embed.FS

// Templates Init scaffolds.
var Templates = []string{"classification", "regression"}

// Init scaffolds a working recipe of the template (classification: iris,
// logistic regression; regression: diabetes, ridge) named name in dir,
// which must not hold a recipe yet. It writes the MLproject and its train
// step (Debian's python3 with scikit-learn, exported to ONNX with
// onnx.helper), recipe.yaml with validation_criteria, profiles/local.yaml and
// profiles/ci.yaml, and the data split into data/train.csv and
// data/eval.csv (every fifth row held out). It needs no network.
func Init(dir, template, name string) ([]string, error) {
	var modelType, criteria, smoke string
	switch template {
	case "classification":
		modelType = "classifier"
		criteria = "      - metric: accuracy_score\n        threshold: 0.9\n      - metric: f1_score\n        threshold: 0.9"
		smoke = "    min_accuracy: 0.9"
	case "regression":
		modelType = "regressor"
		criteria = "      - metric: r2_score\n        threshold: 0.3\n      - metric: root_mean_squared_error\n        threshold: 70"
	default:
		return nil, fmt.Errorf("unknown recipe template %q: %s", template, strings.Join(Templates, " or "))
	}
	if !varName.MatchString(name) {
		return nil, fmt.Errorf("recipe name %q: use letters, digits and _", name)
	}
	if _, err := os.Stat(filepath.Join(dir, File)); err == nil {
		return nil, fmt.Errorf("%s already holds a recipe", dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	repl := strings.NewReplacer("{{NAME}}", name, "{{MODEL_TYPE}}", modelType, "{{MODEL_TYPE_TEMPLATE}}", template,
		"{{CRITERIA}}", criteria, "{{SMOKE}}", smoke)
	files := map[string]string{"MLproject": "MLproject", "python_env.yaml": "python_env.yaml", "recipe.yaml": File,
		"train.py": "train.py", "profiles_local.yaml": "profiles/local.yaml", "profiles_ci.yaml": "profiles/ci.yaml"}
	var wrote []string
	write := func(rel, text string, mode os.FileMode) error {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		wrote = append(wrote, rel)
		return os.WriteFile(p, []byte(text), mode)
	}
	for src, dst := range files {
		b, err := scaffold.ReadFile("scaffold/" + src)
		if err != nil {
			return nil, err
		}
		mode := os.FileMode(0o644)
		if dst == "train.py" {
			mode = 0o755
		}
		if err := write(dst, repl.Replace(string(b)), mode); err != nil {
			return nil, err
		}
	}
	if err := write(".gitignore", ".berth-recipe/\n", 0o644); err != nil {
		return nil, err
	}
	data, err := scaffold.ReadFile("scaffold/data/" + template + ".csv")
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	train, eval := []string{lines[0]}, []string{lines[0]}
	for i, l := range lines[1:] {
		if i%5 == 4 {
			eval = append(eval, l)
		} else {
			train = append(train, l)
		}
	}
	if err := write("data/train.csv", strings.Join(train, "\n")+"\n", 0o644); err != nil {
		return nil, err
	}
	if err := write("data/eval.csv", strings.Join(eval, "\n")+"\n", 0o644); err != nil {
		return nil, err
	}
	return wrote, nil
}
