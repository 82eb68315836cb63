package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/environments"
)

// TestSetImageTouchesOneLine: a bump rewrites exactly the one line of the
// environment's image map, and nothing else of the file.
func TestSetImageTouchesOneLine(t *testing.T) {
	path, src := copyEnvironmentFile(t, "prod")
	require.NoError(t, os.Chmod(path, 0o640))

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

// copyEnvironmentFile copies the catalog's environments/<env>.go into a
// temporary directory of the test's own, and returns its path and bytes.
func copyEnvironmentFile(t *testing.T, env string) (path string, src []byte) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "environments", env+".go"))
	require.NoError(t, err)
	path = filepath.Join(t.TempDir(), env+".go")
	require.NoError(t, os.WriteFile(path, src, 0o644))
	return path, src
}

// TestSetImageRefusals: every bad input gets an exact message and changes
// nothing. Each case edits a copy of its own, so one case that wrongly
// writes fails only itself.
func TestSetImageRefusals(t *testing.T) {
	const noService = "no-such-service"
	staging, ok := environments.Lookup("staging")
	require.True(t, ok)
	services := slices.Sorted(maps.Keys(staging.Images))
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--env", noEnv, "--service", "web", "--tag", "v1.0.0"}, exitUsage, `synth set-image: --env: "` + noEnv + `" is not an environment; known: ` + strings.Join(envNames(), ", ")},
		{[]string{"--env", "staging", "--service", noService, "--tag", "v1.0.0"}, exitUsage, `synth set-image: --service: "` + noService + `" has no image in staging; known: ` + strings.Join(services, ", ")},
		{[]string{"--env", "staging", "--service", "web"}, exitUsage, `synth set-image: give exactly one of --tag and --digest`},
		{[]string{"--env", "staging", "--service", "web", "--digest", "sha256:abc"}, exitUsage, `synth set-image: --digest: "sha256:abc" is not sha256: followed by 64 lower-case hex digits`},
		{[]string{"--env", "staging", "--service", "web", "--tag", "main"}, exitFailed, `synth set-image: [staging] images[web]: tag "main" is floating; staging needs a release tag (vX.Y.Z) or a digest`},
		{[]string{"--env", "staging", "--service", "web", "--tag", "1.2.3"}, exitFailed, `synth set-image: [staging] images[web]: tag "1.2.3" is not a release tag, which is a lower-case v and MAJOR.MINOR.PATCH with an optional -pre-release (v1.2.3, v1.2.3-rc.1); staging needs a release tag or a digest`},
		{[]string{"--env", "staging", "--service", "web", "--tag", "V1.2.3"}, exitFailed, `synth set-image: [staging] images[web]: tag "V1.2.3" is not a release tag, which is a lower-case v and MAJOR.MINOR.PATCH with an optional -pre-release (v1.2.3, v1.2.3-rc.1); staging needs a release tag or a digest`},
		{[]string{"--env", "staging", "--service", "web", "--tag", "Not A Tag"}, exitFailed, `synth set-image: [staging] images[web]: "ghcr.io/telepace/web:Not A Tag" is not a valid image reference: invalid reference format`},
		// Promotion: only what the source environment runs.
		{[]string{"--env", "staging", "--service", "web", "--tag", "v99.0.0", "--from-env", "dev"}, exitFailed, `synth set-image: [staging] images[web]: dev runs "main", not "v99.0.0"; promote what dev runs`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			path, src := copyEnvironmentFile(t, "staging")
			code, _, stderr := runSynth(append(append([]string{"set-image"}, tt.args...), "--file", path, "--synth=false")...)
			assert.Equal(t, tt.code, code)
			assert.Equal(t, tt.want+"\n", stderr)
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(src, got), "the file is unchanged")
		})
	}
}

// TestSetImageCheckWritesNothing: --check validates a good reference and
// writes nothing.
func TestSetImageCheckWritesNothing(t *testing.T) {
	path, src := copyEnvironmentFile(t, "staging")
	code, stdout, stderr := runSynth("set-image", "--env", "staging", "--service", "web", "--digest", "sha256:"+strings.Repeat("ab", 32), "--check", "--file", path)
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

// fakeGo stands in for the go command in setImageModule: `go build -o BIN
// ./cmd/synth` writes a synth that copies environments/<FAKE_ENV>.go to
// FAKE_SEEN (what the synth compiled) and then succeeds, fails, or waits
// to be interrupted, as FAKE_SYNTH says; FAKE_BUILD=fail fails the build.
const fakeGo = `#!/bin/sh
[ "$1" = build ] && [ "$2" = -o ] && [ "$4" = ./cmd/synth ] || { echo "fake go: $*" >&2; exit 97; }
if [ "$FAKE_BUILD" = fail ]; then echo "fake build failed" >&2; exit 1; fi
cat >"$3" <<'EOS'
#!/bin/sh
cp "environments/$FAKE_ENV.go" "$FAKE_SEEN"
case "$FAKE_SYNTH" in
fail) echo "synth: validation failed" >&2; exit 1 ;;
slow) sleep 0.5 ;;
edit-fail) echo "// edited meanwhile" >>"environments/$FAKE_ENV.go"; exit 1 ;;
hang) trap 'echo "synth: interrupted" >&2; exit 130' INT; : >"$FAKE_SEEN.started"; while :; do sleep 0.01; done ;;
esac
echo "synth: wrote charts/generated"
EOS
chmod +x "$3"
`

// setImageModule makes a module of its own holding the catalog's
// environment file for env, with a fake go first on PATH, and enters its
// environments/ directory, as a user running set-image from there would.
// It returns the file and where the fake synth copies what it compiled.
func setImageModule(t *testing.T, env string) (file, seen string) {
	t.Helper()
	mod, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	goMod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(mod, "go.mod"), goMod, 0o644))
	src, err := os.ReadFile(filepath.Join("..", "..", "environments", env+".go"))
	require.NoError(t, err)
	file = filepath.Join(mod, "environments", env+".go")
	require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
	require.NoError(t, os.WriteFile(file, src, 0o640))
	bin := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	seen = filepath.Join(t.TempDir(), "seen.go")
	t.Setenv("FAKE_ENV", env)
	t.Setenv("FAKE_SEEN", seen)
	t.Setenv("FAKE_BUILD", "")
	t.Setenv("FAKE_SYNTH", "")
	t.Chdir(filepath.Dir(file))
	return file, seen
}

// bump returns a service of env and a release tag env does not run it at,
// from the catalog.
func bump(t *testing.T, env string) (service, tag, was string) {
	t.Helper()
	e, ok := environments.Lookup(env)
	require.True(t, ok)
	service = slices.Sorted(maps.Keys(e.Images))[0]
	was = e.Images[service]
	return service, "v" + strconv.Itoa(len(was)+100) + ".0.0", was
}

// TestSetImageIsAllOrNothing: when the synth fails, cannot be built or is
// interrupted, the environment file is restored byte for byte (the synth
// did see the edit); a retry completes the work, also when an earlier
// version left the edit behind.
func TestSetImageIsAllOrNothing(t *testing.T) {
	const env = "staging"
	service, tag, _ := bump(t, env)
	args := []string{"set-image", "--env", env, "--service", service, "--tag", tag}
	tests := []struct {
		name       string
		build      string
		synth      string
		wantStderr string
	}{
		{"the synth fails", "", "fail", "synth: validation failed\nsynth set-image: the synth after the edit failed: exit status 1; FILE restored, the charts are as they were\n"},
		{"synth cannot be built", "fail", "", "fake build failed\nsynth set-image: building synth from the edited source: exit status 1; FILE restored, the charts are as they were\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, seen := setImageModule(t, env)
			src, err := os.ReadFile(file)
			require.NoError(t, err)
			t.Setenv("FAKE_BUILD", tt.build)
			t.Setenv("FAKE_SYNTH", tt.synth)
			code, _, stderr := runSynth(args...)
			assert.Equal(t, exitFailed, code)
			assert.Equal(t, strings.ReplaceAll(tt.wantStderr, "FILE", file), stderr)
			got, err := os.ReadFile(file)
			require.NoError(t, err)
			assert.Equal(t, string(src), string(got), "the file is restored")
			if tt.synth == "fail" {
				saw, err := os.ReadFile(seen)
				require.NoError(t, err)
				assert.Contains(t, string(saw), strconv.Quote(tag), "the synth compiled the edit")
			}

			// The retry completes the work.
			t.Setenv("FAKE_BUILD", "")
			t.Setenv("FAKE_SYNTH", "")
			code, stdout, stderr := runSynth(args...)
			require.Equal(t, exitOK, code, stderr)
			assert.Equal(t, "synth set-image: "+file+": "+env+" "+service+" -> "+tag+"\nsynth: wrote charts/generated\n", stdout)
			saw, err := os.ReadFile(seen)
			require.NoError(t, err)
			got, err = os.ReadFile(file)
			require.NoError(t, err)
			assert.Equal(t, string(got), string(saw))
			assert.Contains(t, string(got), strconv.Quote(tag))
		})
	}

	t.Run("a file changed during the synth is not restored over", func(t *testing.T) {
		file, _ := setImageModule(t, env)
		t.Setenv("FAKE_SYNTH", "edit-fail")
		code, _, stderr := runSynth(args...)
		assert.Equal(t, exitFailed, code)
		assert.Equal(t, "synth set-image: the synth after the edit failed: exit status 1; "+file+" changed since the edit, so it is left as it is\n", stderr)
		got, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.True(t, strings.HasSuffix(string(got), "// edited meanwhile\n"))
	})

	t.Run("a retry of an edit left behind synthesises", func(t *testing.T) {
		file, seen := setImageModule(t, env)
		code, _, stderr := runSynth(append(args, "--synth=false")...)
		require.Equal(t, exitOK, code, stderr)
		_, err := os.Stat(seen)
		require.ErrorIs(t, err, os.ErrNotExist, "no synth yet")
		code, stdout, stderr := runSynth(args...)
		require.Equal(t, exitOK, code, stderr)
		assert.Equal(t, "synth set-image: "+env+" already runs "+service+" "+tag+"\nsynth: wrote charts/generated\n", stdout)
		saw, err := os.ReadFile(seen)
		require.NoError(t, err)
		got, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.Equal(t, string(got), string(saw))
	})

	t.Run("interrupted during the synth", func(t *testing.T) {
		file, seen := setImageModule(t, env)
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		t.Setenv("FAKE_SYNTH", "hang")
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for {
				if _, err := os.Stat(seen + ".started"); err == nil {
					cancel()
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		var stdout, stderr bytes.Buffer
		code := run(ctx, args, &stdout, &stderr)
		assert.Equal(t, exitFailed, code, "main turns this into 128+signal")
		assert.Equal(t, "synth: interrupted\nsynth set-image: interrupted during the synth; "+file+" restored, the charts are as they were\n", stderr.String())
		got, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.Equal(t, string(src), string(got))
	})
}

// TestSetImageCannotStart: what the synth needs is checked before the
// file changes.
func TestSetImageCannotStart(t *testing.T) {
	const env = "prod"
	service, tag, _ := bump(t, env)
	node, err := exec.LookPath("node")
	require.NoError(t, err)
	onlyNode := t.TempDir()
	require.NoError(t, os.Symlink(node, filepath.Join(onlyNode, "node")))
	tests := []struct {
		name   string
		onlyGo bool // PATH holds only the fake go; otherwise only node
		want   string
	}{
		{"no go", false, "synth set-image: the go command is not on PATH; set-image builds synth from the edited environments with it (--synth=false only edits the file)\n"},
		{"no node", true, "synth set-image: " + nodeMessage + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, _ := setImageModule(t, env)
			src, err := os.ReadFile(file)
			require.NoError(t, err)
			path := onlyNode
			if tt.onlyGo {
				path, _, _ = strings.Cut(os.Getenv("PATH"), string(os.PathListSeparator)) // setImageModule put the fake go first
			}
			t.Setenv("PATH", path)
			t.Setenv("JSII_NODE", "")
			code, stdout, stderr := runSynth("set-image", "--env", env, "--service", service, "--tag", tag)
			assert.Equal(t, exitFailed, code)
			assert.Empty(t, stdout)
			assert.Equal(t, tt.want, stderr)
			got, err := os.ReadFile(file)
			require.NoError(t, err)
			assert.Equal(t, string(src), string(got))
		})
	}
}

// TestSetImageKeepsTheFile: a symlink is written through to its target,
// which keeps its mode, owner and group; the symlink stays a symlink.
func TestSetImageKeepsTheFile(t *testing.T) {
	const env = "dev"
	service, tag, _ := bump(t, env)
	file, seen := setImageModule(t, env)
	real := filepath.Join(t.TempDir(), "shared-"+env+".go")
	require.NoError(t, os.Rename(file, real))
	require.NoError(t, os.Symlink(real, file))
	require.NoError(t, os.Chmod(real, 0o604))
	uid, gid := os.Getuid(), os.Getgid()
	if os.Geteuid() == 0 {
		uid, gid = 4321, 8765 // root can give the file away; set-image must give it back
		require.NoError(t, os.Chown(real, uid, gid))
	}
	code, _, stderr := runSynth("set-image", "--env", env, "--service", service, "--tag", tag)
	require.Equal(t, exitOK, code, stderr)
	link, err := os.Lstat(file)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, link.Mode().Type(), "still a symlink")
	info, err := os.Stat(real)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o604), info.Mode())
	st := info.Sys().(*syscall.Stat_t)
	assert.Equal(t, []int{uid, gid}, []int{int(st.Uid), int(st.Gid)})
	got, err := os.ReadFile(real)
	require.NoError(t, err)
	assert.Contains(t, string(got), strconv.Quote(tag))
	saw, err := os.ReadFile(seen)
	require.NoError(t, err)
	assert.Equal(t, string(got), string(saw))
}

// TestSetImageRefusesAFileYouMayNotWrite runs set-image as a user who may
// not write the file (it needs root to become one): refused, unchanged.
func TestSetImageRefusesAFileYouMayNotWrite(t *testing.T) {
	const envName = "staging"
	service, tag, _ := bump(t, envName)
	bin := synthBinary(t) // before the fake go is on PATH
	file, _ := setImageModule(t, envName)
	require.NoError(t, os.Chmod(file, 0o444))
	if os.Geteuid() != 0 {
		code, _, stderr := runSynth("set-image", "--env", envName, "--service", service, "--tag", tag)
		assert.Equal(t, exitFailed, code)
		assert.Equal(t, "synth set-image: "+file+": permission denied; the file is not yours to write\n", stderr)
		return
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("running as root without setpriv: no way to be a user who may not write")
	}
	mod := filepath.Dir(filepath.Dir(file))
	for _, d := range []string{mod, filepath.Dir(file)} {
		require.NoError(t, os.Chmod(d, 0o777)) // the directory is writable: only the file's mode refuses
	}
	for _, start := range []string{mod, bin} {
		for d := filepath.Dir(start); d != "/"; d = filepath.Dir(d) {
			info, err := os.Stat(d)
			require.NoError(t, err)
			require.NoError(t, os.Chmod(d, info.Mode().Perm()|0o011))
		}
	}
	tmp, err := os.MkdirTemp("/tmp", "set-image-nobody-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(tmp) })
	require.NoError(t, os.Chmod(tmp, 0o777))
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin, "set-image", "--env", envName, "--service", service, "--tag", tag)
	cmd.Dir = filepath.Dir(file)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JSII_NODE=") { // this process's launcher, in its private directory
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "TMPDIR="+tmp, "HOME="+tmp)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, string(out))
	assert.Equal(t, exitFailed, exit.ExitCode())
	assert.Equal(t, "synth set-image: "+file+": permission denied; the file is not yours to write\n", string(out))
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, string(src), string(got))
}

// TestTwoSetImagesAtOnce: the second waits for the first, says so, then
// finds the reference set and synthesises; both succeed, and the file
// holds the edit once.
func TestTwoSetImagesAtOnce(t *testing.T) {
	const env = "prod"
	service, tag, _ := bump(t, env)
	file, seen := setImageModule(t, env)
	t.Setenv("FAKE_SYNTH", "slow")
	args := []string{"set-image", "--env", env, "--service", service, "--tag", tag}
	first := make(chan string)
	go func() {
		code, stdout, stderr := runSynth(args...)
		first <- fmt.Sprint(code, "|", stdout, "|", stderr)
	}()
	for {
		if _, err := os.Stat(seen); err == nil {
			break // the first one's synth runs
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, stdout, stderr := runSynth(args...)
	assert.Equal(t, "0|synth set-image: "+file+": "+env+" "+service+" -> "+tag+"\nsynth: wrote charts/generated\n|", <-first)
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "synth set-image: waiting for another set-image in "+filepath.Dir(filepath.Dir(file))+"\n", stderr)
	assert.Equal(t, "synth set-image: "+env+" already runs "+service+" "+tag+"\nsynth: wrote charts/generated\n", stdout)
	got, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(got), strconv.Quote(tag)))
}
