package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/test/e2e/cluster"
)

// kubeScorePolicy is policy/kube-score.yaml.
type kubeScorePolicy struct {
	EnforceZeroCritical []string `json:"enforceZeroCritical"`
	IgnoredTests        []struct {
		ID     string `json:"id"`
		Reason string `json:"reason"`
		// Environments the check is ignored for; all when empty.
		Environments []string `json:"environments,omitempty"`
	} `json:"ignoredTests"`
	EnabledOptionalTests []string `json:"enabledOptionalTests"`
}

const kubeScoreGradeCritical = 1 // scorecard.GradeCritical

type kubeScoreFinding struct {
	Object, Check, Summary string
	Grade                  int
}

func (f kubeScoreFinding) String() string {
	return fmt.Sprintf("%s: [%s] %s", f.Object, f.Check, f.Summary)
}

// TestKubeScore runs kube-score on every generated chart's rendered
// manifests (hooks included) under policy/kube-score.yaml. Environments
// listed in enforceZeroCritical (prod) fail on any CRITICAL finding; the
// others' findings are logged.
func TestKubeScore(t *testing.T) {
	requireE2E(t)
	tl := requireTools(t)
	pol := loadKubeScorePolicy(t, tl)
	dirs := generatedCharts(t)
	for _, dir := range dirs {
		env := filepath.Base(dir)
		if env == gitOpsChart {
			continue // Argo CD objects only, which kube-score does not score; TestGitOpsObjects
		}
		t.Run(env, func(t *testing.T) {
			ns := envNamespaces[env]
			if ns == "" {
				t.Fatalf("charts/generated/%s: no namespace for environment %q in envNamespaces", env, env)
			}
			if ids := ignoredIDs(pol, env); len(ids) > 0 {
				t.Logf("%s: ignoring %v (policy/kube-score.yaml)", env, ids)
			}
			findings := runKubeScore(t, tl, pol, env, dir, "telepace-"+env, ns)
			critical := filterGrade(findings, kubeScoreGradeCritical)
			enforced := slices.Contains(pol.EnforceZeroCritical, env)
			for _, f := range critical {
				if enforced {
					t.Errorf("CRITICAL %s", f)
				} else {
					t.Logf("CRITICAL (not enforced for %s) %s", env, f)
				}
			}
			for _, f := range findings {
				if f.Grade != kubeScoreGradeCritical {
					t.Logf("WARNING (grade %d, not enforced) %s", f.Grade, f)
				}
			}
			t.Logf("%s: %d CRITICAL, %d other findings below OK (enforced: %v)", env, len(critical), len(findings)-len(critical), enforced)
			record("kube-score %-8s %d CRITICAL, %d warnings (zero CRITICAL enforced: %v)", env, len(critical), len(findings)-len(critical), enforced)
		})
	}
}

// TestKubeScorePolicyCanFail runs the same check on the fixture chart,
// which must be clean, and on testdata/kube-score-bad, which must produce
// CRITICAL findings: proof the policy test is able to fail.
func TestKubeScorePolicyCanFail(t *testing.T) {
	requireE2E(t)
	tl := requireTools(t)
	pol := loadKubeScorePolicy(t, tl)
	if crit := filterGrade(runKubeScore(t, tl, pol, "", fixtureChart(), "e2e-fixture", "e2e-fixture"), kubeScoreGradeCritical); len(crit) > 0 {
		t.Errorf("fixture chart has %d CRITICAL findings:\n  %s", len(crit), joinFindings(crit))
	}
	bad := filepath.Join(repoRoot, "test", "e2e", "testdata", "kube-score-bad")
	crit := filterGrade(runKubeScore(t, tl, pol, "", bad, "bad", "bad"), kubeScoreGradeCritical)
	checks := map[string]bool{}
	for _, f := range crit {
		checks[f.Check] = true
	}
	for _, want := range []string{"container-resources", "container-image-tag", "pod-probes"} {
		if !checks[want] && !slices.Contains(ignoredIDs(pol, ""), want) {
			t.Errorf("kube-score-bad: no CRITICAL %s finding; got:\n  %s", want, joinFindings(crit))
		}
	}
	t.Logf("kube-score-bad: %d CRITICAL findings as expected", len(crit))
}

func loadKubeScorePolicy(t *testing.T, tl *cluster.Tools) *kubeScorePolicy {
	t.Helper()
	path := filepath.Join(repoRoot, "policy", "kube-score.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pol := &kubeScorePolicy{}
	if err := yaml.UnmarshalStrict(data, pol); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	known := kubeScoreChecks(t, tl)
	for _, ig := range pol.IgnoredTests {
		if !known[ig.ID] {
			t.Errorf("%s: ignoredTests: %q is not a kube-score check", path, ig.ID)
		}
		if strings.TrimSpace(ig.Reason) == "" {
			t.Errorf("%s: ignoredTests: %q has no reason", path, ig.ID)
		}
		for _, env := range ig.Environments {
			if _, ok := envNamespaces[env]; !ok {
				t.Errorf("%s: ignoredTests: %q: unknown environment %q", path, ig.ID, env)
			}
		}
	}
	for _, id := range pol.EnabledOptionalTests {
		if !known[id] {
			t.Errorf("%s: enabledOptionalTests: %q is not a kube-score check", path, id)
		}
	}
	for _, env := range pol.EnforceZeroCritical {
		if _, ok := envNamespaces[env]; !ok {
			t.Errorf("%s: enforceZeroCritical: unknown environment %q", path, env)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return pol
}

// ignoredIDs returns the checks ignored for env ("" for charts that are
// not an environment: only the checks ignored everywhere).
func ignoredIDs(pol *kubeScorePolicy, env string) []string {
	var ids []string
	for _, ig := range pol.IgnoredTests {
		if len(ig.Environments) == 0 || slices.Contains(ig.Environments, env) {
			ids = append(ids, ig.ID)
		}
	}
	return ids
}

// kubeScoreChecks returns the ids `kube-score list` knows.
func kubeScoreChecks(t *testing.T, tl *cluster.Tools) map[string]bool {
	t.Helper()
	out, err := exec.Command(tl.Path("kube-score"), "list").Output()
	if err != nil {
		t.Fatalf("kube-score list: %v", err)
	}
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("kube-score list: %v", err)
	}
	known := map[string]bool{}
	for _, r := range recs {
		if len(r) > 0 {
			known[r[0]] = true
		}
	}
	if len(known) < 10 {
		t.Fatalf("kube-score list returned %d checks:\n%s", len(known), out)
	}
	return known
}

// runKubeScore renders the chart (helm SDK, client only, Kubernetes version
// pinned in tools/go.mod) and returns kube-score's findings graded below OK
// (CRITICAL and WARNING), skipped checks excluded.
func runKubeScore(t *testing.T, tl *cluster.Tools, pol *kubeScorePolicy, env, chartDir, name, ns string) []kubeScoreFinding {
	t.Helper()
	k8s, err := cluster.KubernetesVersion(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	r := renderChart(t, chartDir, name, ns, kubeVersion(t, k8s))
	var manifest bytes.Buffer
	manifest.WriteString(r.Manifest)
	for _, h := range r.Hooks {
		manifest.WriteString("\n---\n" + h.Manifest)
	}
	file := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(file, manifest.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	kv := kubeVersion(t, k8s)
	args := []string{"score", "--output-format=json", "--output-version=v2",
		"--kubernetes-version=v" + kv.Major + "." + kv.Minor,
		"--disable-ignore-checks-annotations", "--disable-optional-checks-annotations"}
	for _, id := range ignoredIDs(pol, env) {
		args = append(args, "--ignore-test="+id)
	}
	for _, id := range pol.EnabledOptionalTests {
		args = append(args, "--enable-optional-test="+id)
	}
	args = append(args, file)
	cmd := exec.Command(tl.Path("kube-score"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output() // exits 1 when it found CRITICAL issues
	var objs []struct {
		ObjectName string `json:"object_name"`
		Checks     []struct {
			Check struct {
				ID string `json:"id"`
			} `json:"check"`
			Grade    int  `json:"grade"`
			Skipped  bool `json:"skipped"`
			Comments []struct {
				Path    string `json:"path"`
				Summary string `json:"summary"`
			} `json:"comments"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(out, &objs); err != nil {
		t.Fatalf("kube-score %s: %v (exit: %v)\nstdout: %.2000s\nstderr: %.2000s", chartDir, err, runErr, out, stderr.String())
	}
	if len(objs) == 0 {
		t.Fatalf("kube-score scored no object of %s (exit: %v): %s", chartDir, runErr, stderr.String())
	}
	var findings []kubeScoreFinding
	for _, o := range objs {
		for _, c := range o.Checks {
			if c.Skipped || c.Grade >= 10 {
				continue
			}
			var sums []string
			for _, cm := range c.Comments {
				s := cm.Summary
				if cm.Path != "" {
					s = cm.Path + ": " + s
				}
				sums = append(sums, s)
			}
			findings = append(findings, kubeScoreFinding{
				Object: o.ObjectName, Check: c.Check.ID, Grade: c.Grade, Summary: strings.Join(sums, "; "),
			})
		}
	}
	sort.Slice(findings, func(i, j int) bool { return findings[i].String() < findings[j].String() })
	return findings
}

func filterGrade(fs []kubeScoreFinding, grade int) []kubeScoreFinding {
	var out []kubeScoreFinding
	for _, f := range fs {
		if f.Grade == grade {
			out = append(out, f)
		}
	}
	return out
}

func joinFindings(fs []kubeScoreFinding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.String())
	}
	return strings.Join(s, "\n  ")
}
