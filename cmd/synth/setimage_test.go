package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSetImageTouchesOneLine: a bump rewrites exactly the one line of the
// environment's image map, and nothing else of the file.
func TestSetImageTouchesOneLine(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "environments", "prod.go"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "prod.go")
	require.NoError(t, os.WriteFile(path, src, 0o640))

	code, stdout, stderr := runSynth("set-image", "--env", "prod", "--service", "voiceflow", "--tag", "v9.8.7", "--file", path, "--synth=false")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "prod voiceflow -> v9.8.7")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	before, after := strings.Split(string(src), "\n"), strings.Split(string(got), "\n")
	require.Equal(t, len(before), len(after))
	var changed []string
	for i := range before {
		if before[i] != after[i] {
			changed = append(changed, before[i]+" => "+after[i])
		}
	}
	require.Len(t, changed, 1, "exactly one line changes")
	assert.Contains(t, changed[0], `"voiceflow":`)
	assert.Contains(t, changed[0], `"v9.8.7"`)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), info.Mode().Perm(), "the file keeps its mode")

	// Again: nothing to do, nothing written.
	code, stdout, _ = runSynth("set-image", "--env", "prod", "--service", "voiceflow", "--tag", "v9.8.7", "--file", path, "--synth=false")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "already runs")
}

// TestSetImageRefusals: every bad input gets an exact message and changes
// nothing.
func TestSetImageRefusals(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "environments", "staging.go"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "staging.go")
	require.NoError(t, os.WriteFile(path, src, 0o644))
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--env", "qa", "--service", "web", "--tag", "v1.0.0"}, exitUsage, `synth set-image: --env: "qa" is not an environment; known: dev, staging, prod`},
		{[]string{"--env", "staging", "--service", "api", "--tag", "v1.0.0"}, exitUsage, `synth set-image: --service: "api" has no image in staging; known: analysis, collection, feedback-collection-api, voiceflow, web`},
		{[]string{"--env", "staging", "--service", "web"}, exitUsage, `synth set-image: give exactly one of --tag and --digest`},
		{[]string{"--env", "staging", "--service", "web", "--digest", "sha256:abc"}, exitUsage, `synth set-image: --digest: "sha256:abc" is not sha256: followed by 64 lower-case hex digits`},
		{[]string{"--env", "staging", "--service", "web", "--tag", "main"}, exitFailed, `synth set-image: [staging] images[web]: tag "main" is floating; staging needs a release tag (vX.Y.Z) or a digest`},
		{[]string{"--env", "staging", "--service", "web", "--tag", "1.2.3"}, exitFailed, `synth set-image: [staging] images[web]: tag "1.2.3" is not a release tag, which is a lower-case v and MAJOR.MINOR.PATCH with an optional -pre-release (v1.2.3, v1.2.3-rc.1); staging needs a release tag or a digest`},
		{[]string{"--env", "staging", "--service", "web", "--tag", "V1.2.3"}, exitFailed, `synth set-image: [staging] images[web]: tag "V1.2.3" is not a release tag, which is a lower-case v and MAJOR.MINOR.PATCH with an optional -pre-release (v1.2.3, v1.2.3-rc.1); staging needs a release tag or a digest`},
		{[]string{"--env", "staging", "--service", "web", "--tag", "Not A Tag"}, exitFailed, `synth set-image: [staging] images[web]: "ghcr.io/telepace/web:Not A Tag" is not a valid image reference: invalid reference format`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runSynth(append(append([]string{"set-image"}, tt.args...), "--file", path, "--synth=false")...)
			assert.Equal(t, tt.code, code)
			assert.Equal(t, tt.want+"\n", stderr)
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(src, got), "the file is unchanged")
		})
	}

	// Promotion: only what the source environment runs.
	code, _, stderr := runSynth("set-image", "--env", "staging", "--service", "web", "--tag", "v99.0.0", "--from-env", "dev", "--file", path, "--synth=false")
	assert.Equal(t, exitFailed, code)
	assert.Equal(t, `synth set-image: [staging] images[web]: dev runs "main", not "v99.0.0"; promote what dev runs`+"\n", stderr)

	// --check validates a good reference and writes nothing.
	var stdout string
	code, stdout, stderr = runSynth("set-image", "--env", "staging", "--service", "web", "--digest", "sha256:"+strings.Repeat("ab", 32), "--check", "--file", path)
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "is valid")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(src, got))
}

// TestSetImageOnlyEditsImageMaps: an entry of that name elsewhere in the
// file is not an image map entry.
func TestSetImageOnlyEditsImageMaps(t *testing.T) {
	src := []byte("package x\n\nvar labels = map[string]string{\"web\": \"a\"}\n\nvar qaImages = map[string]string{\n\t\"web\": \"v1.0.0\", // pinned\n}\n")
	got, err := setImage(src, "web", "v1.1.0")
	require.NoError(t, err)
	assert.Equal(t, "package x\n\nvar labels = map[string]string{\"web\": \"a\"}\n\nvar qaImages = map[string]string{\n\t\"web\": \"v1.1.0\", // pinned\n}\n", string(got))
	_, err = setImage(src, "api", "v1.1.0")
	assert.EqualError(t, err, `no entry "api" in an image map (a variable named ...Images holding string literals)`)
}
