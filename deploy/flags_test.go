package deploy_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestChartFlagsExist: every flag the chart passes to berth, and every
// BERTH_ variable it sets, is one `berth SUBCOMMAND --help` lists, in every
// value set (the ClusterServingRuntime's container included).
func TestChartFlagsExist(t *testing.T) {
	helm := helmBinary(t)
	bin := filepath.Join(t.TempDir(), "berth")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/berth").CombinedOutput(); err != nil {
		t.Fatalf("building berth: %v\n%s", err, out)
	}
	help := map[string]string{}
	helpOf := func(sub string) string {
		if h, ok := help[sub]; ok {
			return h
		}
		out, err := exec.Command(bin, sub, "--help").CombinedOutput()
		if err != nil {
			t.Fatalf("berth %s --help: %v\n%s", sub, err, out)
		}
		help[sub] = string(out)
		return help[sub]
	}
	checked := 0
	check := func(where string, c corev1.Container) {
		if len(c.Command) == 0 || c.Command[0] != "/usr/local/bin/berth" || len(c.Args) == 0 {
			t.Errorf("%s: command %v args %v, want /usr/local/bin/berth SUBCOMMAND", where, c.Command, c.Args)
			return
		}
		h := helpOf(c.Args[0])
		for _, a := range c.Args[1:] {
			if !strings.HasPrefix(a, "--") {
				continue
			}
			name, _, _ := strings.Cut(a, "=")
			if !strings.Contains(h, name+" ") {
				t.Errorf("%s: berth %s has no flag %s", where, c.Args[0], name)
			}
			checked++
		}
		for _, e := range c.Env {
			if strings.HasPrefix(e.Name, "BERTH_") && e.Name != "BERTH_GATEWAY_KEYS_URI" && !strings.Contains(h, "  "+e.Name+" ") {
				t.Errorf("%s: berth %s reads no variable %s", where, c.Args[0], e.Name)
			}
		}
	}
	for _, v := range valueSets(t) {
		for _, o := range render(t, helm, v) {
			switch x := o.Typed.(type) {
			case *appsv1.Deployment:
				for _, c := range x.Spec.Template.Spec.Containers {
					check(filepath.Base(v)+" "+o.Name, c)
				}
			case *kserveClusterServingRuntime:
				for _, c := range x.Spec.Containers {
					check(filepath.Base(v)+" "+o.Name, c)
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("checked %d flags, want the chart's 20 or more", checked)
	}
	// The check itself: a flag berth does not have fails.
	if strings.Contains(helpOf("serve"), "--no-such-flag ") {
		t.Fatal("help lists --no-such-flag")
	}
}
