package main

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
)

// workflow is the part of a GitHub Actions workflow these tests read.
type workflow struct {
	Permissions map[string]string `json:"permissions"`
	Jobs        map[string]struct {
		If          string            `json:"if"`
		Permissions map[string]string `json:"permissions"`
		Env         map[string]string `json:"env"`
		Steps       []struct {
			ID   string            `json:"id"`
			Uses string            `json:"uses"`
			Run  string            `json:"run"`
			Env  map[string]string `json:"env"`
		} `json:"steps"`
	} `json:"jobs"`
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", name))
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(raw, &w))
	return w
}

// TestWorkflowActionsArePinned: every action of every workflow is pinned
// by a full commit SHA, never by a tag that can move.
func TestWorkflowActionsArePinned(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	for _, f := range files {
		w := readWorkflow(t, filepath.Base(f))
		for job, j := range w.Jobs {
			for _, s := range j.Steps {
				if s.Uses != "" {
					assert.Regexp(t, pinned, s.Uses, "%s job %s", filepath.Base(f), job)
				}
			}
		}
	}
}

// TestReviewJob: the pull request job that posts synth diff has only the
// permissions it needs, reads the exit code of a built binary (go run
// reports every failure as 1, which would hide exit 3), and finds its
// comment by the marker synth diff writes.
func TestReviewJob(t *testing.T) {
	w := readWorkflow(t, "ci.yml")
	assert.Equal(t, map[string]string{"contents": "read"}, w.Permissions, "the workflow's default token is read-only")
	review, ok := w.Jobs["review"]
	require.True(t, ok, "ci.yml has a review job")
	assert.Equal(t, "github.event_name == 'pull_request'", review.If)
	assert.Equal(t, map[string]string{"contents": "read", "pull-requests": "write", "issues": "write"}, review.Permissions)
	var script strings.Builder
	for _, s := range review.Steps {
		script.WriteString(s.Run + "\n")
	}
	run := script.String()
	assert.NotContains(t, run, "go run ./cmd/synth diff")
	assert.Contains(t, run, `go build -o "$RUNNER_TEMP/synth" ./cmd/synth`)
	assert.Contains(t, run, `"$RUNNER_TEMP/synth" diff --base "origin/${BASE_REF}"`)
	assert.Contains(t, run, "--fail-on-breaking || code=$?")
	assert.Contains(t, run, "3) echo \"breaking=true\"")
	assert.Contains(t, run, "marker='"+diffMarker+"'")
	assert.Contains(t, run, "gh pr edit \"$PR\" --add-label breaking")
	assert.Contains(t, run, "gh pr edit \"$PR\" --remove-label breaking")
	assert.NotContains(t, run, "${{", "expressions reach the scripts through env, never inline")
}

// TestPromoteBranchNames runs promote.yml's naming step, as the runner
// would (bash -e), for every service of every environment in the catalog,
// by the tag it runs and by a digest: each branch is a name git accepts,
// names the environment, the service and the reference, and differs from
// every other. A bad request fails the step with its reason.
func TestPromoteBranchNames(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not on PATH")
	}
	w := readWorkflow(t, "promote.yml")
	job, ok := w.Jobs["promote"]
	require.True(t, ok, "promote.yml has a promote job")
	script := ""
	for _, s := range job.Steps {
		if s.ID == "promotion" {
			script = s.Run
		}
	}
	require.NotEmpty(t, script, "promote.yml names the promotion in a step with id promotion")
	for _, s := range job.Steps {
		if strings.Contains(s.Run, "./cmd/synth set-image") {
			assert.Contains(t, s.Run, `"${REF_FLAG}" "${REF}"`, "set-image takes the flag the naming step chose")
			assert.Equal(t, "${{ steps.promotion.outputs.flag }}", s.Env["REF_FLAG"])
		}
		if strings.Contains(s.Run, "git switch") {
			assert.Contains(t, s.Run, `git switch -c "${BRANCH}"`)
			assert.Equal(t, "${{ steps.promotion.outputs.branch }}", s.Env["BRANCH"])
		}
		assert.NotContains(t, s.Run, "${{", "expressions reach the scripts through env, never inline")
	}
	for _, v := range []string{"SERVICE", "TAG", "DIGEST", "ENVIRONMENT"} {
		assert.Contains(t, job.Env, v)
	}

	run := func(t *testing.T, env, service, tag, digest string) (map[string]string, string, error) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "output")
		require.NoError(t, os.WriteFile(out, nil, 0o600))
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Dir = t.TempDir() // not a repository: the naming needs none
		cmd.Env = append(os.Environ(), "ENVIRONMENT="+env, "SERVICE="+service, "TAG="+tag, "DIGEST="+digest, "GITHUB_OUTPUT="+out)
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stdout
		err := cmd.Run()
		raw, rerr := os.ReadFile(out)
		require.NoError(t, rerr)
		got := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				got[k] = v
			}
		}
		return got, strings.TrimSpace(stdout.String()), err
	}
	digest := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	seen := map[string]string{}
	for _, env := range environments.All() {
		for _, svc := range slices.Sorted(maps.Keys(env.Images)) {
			for _, ref := range []string{env.Images[svc], digest} {
				tag, dig, flag := ref, "", "--tag"
				if strings.HasPrefix(ref, "sha256:") {
					tag, dig, flag = "", ref, "--digest"
				}
				got, msg, err := run(t, env.Name, svc, tag, dig)
				require.NoError(t, err, msg)
				branch := got["branch"]
				assert.Equal(t, map[string]string{"flag": flag, "ref": ref, "branch": branch}, got)
				assert.Equal(t, "promote/"+env.Name+"/"+svc+"/"+strings.ReplaceAll(ref, ":", "-"), branch)
				check := exec.Command("git", "check-ref-format", "--branch", branch)
				assert.NoError(t, check.Run(), "git accepts %q", branch)
				key := env.Name + " " + svc + " " + ref
				if prev, ok := seen[branch]; ok && prev != key {
					t.Errorf("%s and %s share the branch %s", prev, key, branch)
				}
				seen[branch] = key
			}
		}
	}

	env := environments.All()[0]
	svc := slices.Sorted(maps.Keys(env.Images))[0]
	refusals := []struct {
		tag, digest, want string
	}{
		{"v1.2.3", digest, "::error::give a tag or a digest, not both"},
		{"", "", "::error::give a tag or a digest"},
		{"Not A Tag", "", "::error::promote/" + env.Name + "/" + svc + "/Not A Tag is not a valid branch name"},
		{"v1.2.3..lock", "", "::error::promote/" + env.Name + "/" + svc + "/v1.2.3..lock is not a valid branch name"},
	}
	for _, tt := range refusals {
		t.Run(tt.tag+tt.digest, func(t *testing.T) {
			got, msg, err := run(t, env.Name, svc, tt.tag, tt.digest)
			assert.Error(t, err)
			assert.Equal(t, tt.want, msg)
			assert.Empty(t, got, "nothing is output")
		})
	}
}
