package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// workflow is the part of a GitHub Actions workflow these tests read.
type workflow struct {
	Permissions map[string]string `json:"permissions"`
	Jobs        map[string]struct {
		If          string            `json:"if"`
		Permissions map[string]string `json:"permissions"`
		Steps       []struct {
			Uses string `json:"uses"`
			Run  string `json:"run"`
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
