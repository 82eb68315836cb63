package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/internal/dirlock"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

var digestRef = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// setImageLockWait is how long set-image waits for another set-image in
// the same module before it gives up.
const setImageLockWait = 10 * time.Minute

// runSetImage implements `synth set-image`: it checks an image reference
// against the environment's tag rules, rewrites the one entry of the
// environment's image map (environments/<env>.go) with a Go syntax-tree
// edit that leaves every other byte of the file as it was, then builds
// synth from the edited source in the module root and runs the full
// synth with it.
//
// All or nothing: when the synth fails, is interrupted or cannot start,
// the file is restored, and synth's own swap leaves the charts as they
// were. A run whose file already holds the reference (a retry after a
// failure) still synthesises. One set-image runs at a time per module.
func runSetImage(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synth set-image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envName := fs.String("env", "", "the environment; required")
	service := fs.String("service", "", "the service, as the environment's image map names it; required")
	tag := fs.String("tag", "", "the image tag (a release tag vX.Y.Z outside dev)")
	digest := fs.String("digest", "", "the image digest, sha256:<64 hex>")
	check := fs.Bool("check", false, "only validate; change nothing")
	file := fs.String("file", "", "the environment's Go file; defaults to environments/<env>.go in the module")
	synthAfter := fs.Bool("synth", true, "run the full synth after the edit (the file must then be in the module's environments/)")
	fromEnv := fs.String("from-env", "", "refuse unless this environment already runs the same reference (prod promotes only what staging runs)")
	fs.Usage = func() {
		io.WriteString(stderr, `Usage: synth set-image --env ENV --service NAME (--tag TAG | --digest sha256:...) [--check]

Set the image tag or digest of one service in one environment: the single
entry of the environment's image map in environments/<env>.go changes,
every other byte of the file stays, and the charts are synthesised again
by a synth built from the edited source (the go command must be on PATH).

All or nothing: when the synth fails, is interrupted or cannot start, the
file is restored and the charts stay as they were; run it again to finish.
A symlinked file is written through to its target, with its mode, owner
and group kept; a file you may not write is refused.

Exit codes: 0 done (or valid, with --check); 1 the reference or the file
is refused, or the synth failed (the file restored); 2 bad usage;
130, 143 interrupted (the file restored).

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "synth set-image: "+format+"\n", a...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(exitUsage, "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	env, ok := environments.Lookup(*envName)
	if !ok {
		return fail(exitUsage, "--env: %q is not an environment; known: %s", *envName, strings.Join(envNames(), ", "))
	}
	if _, ok := env.Images[*service]; !ok {
		return fail(exitUsage, "--service: %q has no image in %s; known: %s", *service, env.Name, strings.Join(slices.Sorted(maps.Keys(env.Images)), ", "))
	}
	if (*tag == "") == (*digest == "") {
		return fail(exitUsage, "give exactly one of --tag and --digest")
	}
	ref := *tag
	if *digest != "" {
		if !digestRef.MatchString(*digest) {
			return fail(exitUsage, "--digest: %q is not sha256: followed by 64 lower-case hex digits", *digest)
		}
		ref = *digest
	}
	if *fromEnv != "" {
		from, ok := environments.Lookup(*fromEnv)
		if !ok {
			return fail(exitUsage, "--from-env: %q is not an environment", *fromEnv)
		}
		if got := from.Images[*service]; got != ref {
			return fail(exitFailed, "[%s] images[%s]: %s runs %q, not %q; promote what %s runs", env.Name, *service, from.Name, got, ref, from.Name)
		}
	}
	repo := ""
	for _, s := range env.Services {
		if cmp.Or(s.Name, s.App) == *service {
			if app, ok := apps.Lookup(s.App); ok {
				repo = app.Repository
			}
		}
	}
	if problems := pc.ImageRef(repo, ref).Check(env.Name, env.AllowFloatingTags); len(problems) > 0 {
		return fail(exitFailed, "[%s] images[%s]: %s", env.Name, *service, strings.TrimPrefix(problems[0], "image: "))
	}

	// The module: the one the working directory is in, or else the one
	// that holds --file.
	wd, err := os.Getwd()
	if err != nil {
		return fail(exitFailed, "%v", err)
	}
	root, rootErr := moduleRoot(wd)
	path := *file
	if path == "" {
		if rootErr != nil {
			return fail(exitFailed, "%v", rootErr)
		}
		path = filepath.Join(root, "environments", env.Name+".go")
	}
	target, err := realPath(path)
	if err != nil {
		return fail(exitFailed, "--file: %v", err)
	}
	if rootErr != nil {
		if root, rootErr = moduleRoot(filepath.Dir(target)); rootErr != nil && *synthAfter {
			return fail(exitFailed, "%v", rootErr)
		}
	}
	if rootErr == nil {
		if in, err := inGenerated(root, target); err != nil {
			return fail(exitFailed, "--file: %v", err)
		} else if in {
			return fail(exitFailed, "--file %q is inside %s, which only synth writes", path, defaultOut)
		}
	}
	if *synthAfter && !*check {
		// The synth compiles the module's environments/: an edit anywhere
		// else would not be in the charts it writes. A symlink there to a
		// file elsewhere is compiled as its target, which is what is
		// written.
		dir, err := realPath(filepath.Dir(path))
		if err != nil {
			return fail(exitFailed, "--file: %v", err)
		}
		envDir, err := realPath(filepath.Join(root, "environments"))
		if err != nil || dir != envDir {
			return fail(exitFailed, "--file %q is not in %s, whose environments the synth compiles; pass --synth=false to edit it alone", path, filepath.Join(root, "environments"))
		}
	}
	if *synthAfter && !*check {
		// Everything the synth needs, before the file changes.
		if _, err := exec.LookPath("go"); err != nil {
			return fail(exitFailed, "the go command is not on PATH; set-image builds synth from the edited environments with it (--synth=false only edits the file)")
		}
		if err := lookNode(); err != nil {
			return fail(exitFailed, "%v", err)
		}
	}
	if !*check {
		// From before the file is read to the end of the synth: a second
		// set-image waits, then reads what this one left.
		lockDir := filepath.Dir(target)
		if rootErr == nil {
			lockDir = root
		}
		unlock, err := lockModule(ctx, lockDir, stderr)
		if err != nil {
			if ctx.Err() != nil {
				return fail(exitFailed, "interrupted while waiting for another set-image; nothing changed")
			}
			return fail(exitFailed, "%v", err)
		}
		defer unlock()
	}
	info, err := os.Stat(target)
	if err != nil {
		return fail(exitFailed, "%v", err)
	}
	src, err := os.ReadFile(target)
	if err != nil {
		return fail(exitFailed, "%v", err)
	}
	edited, err := setImage(src, *service, ref)
	if err != nil {
		return fail(exitFailed, "%s: %v", path, err)
	}
	if *check {
		fmt.Fprintf(stdout, "synth set-image: %s %s %s is valid\n", env.Name, *service, ref)
		return exitOK
	}
	same := bytes.Equal(edited, src)
	if !same {
		if err := unix.Access(target, unix.W_OK); err != nil {
			return fail(exitFailed, "%s: %v; the file is not yours to write", path, err)
		}
	}
	if same {
		fmt.Fprintf(stdout, "synth set-image: %s already runs %s %s\n", env.Name, *service, ref)
		if !*synthAfter {
			return exitOK
		}
	} else {
		if err := writeFileKeeping(target, edited, info); err != nil {
			return fail(exitFailed, "%s: %v; nothing changed", path, err)
		}
		fmt.Fprintf(stdout, "synth set-image: %s: %s %s -> %s\n", path, env.Name, *service, ref)
		if !*synthAfter {
			return exitOK
		}
	}
	if err := synthesizeModule(ctx, root, stdout, stderr); err != nil {
		if same {
			return fail(exitFailed, "%v; the charts are as they were, run it again", err)
		}
		// Restore the file, unless someone changed it since.
		if now, rerr := os.ReadFile(target); rerr != nil || !bytes.Equal(now, edited) {
			return fail(exitFailed, "%v; %s changed since the edit, so it is left as it is", err, path)
		}
		if rerr := writeFileKeeping(target, src, info); rerr != nil {
			return fail(exitFailed, "%v; restoring %s failed too: %v", err, path, rerr)
		}
		return fail(exitFailed, "%v; %s restored, the charts are as they were", err, path)
	}
	return exitOK
}

// synthesizeModule builds synth from the module at root, whose edited
// environments this process was not compiled with, and runs the full
// synth with it. Each child runs in a process group of its own and is
// sent SIGINT when ctx ends, so an interrupt reaches it once, through
// this process, whether the terminal or kill sent it.
func synthesizeModule(ctx context.Context, root string, stdout, stderr io.Writer) error {
	if ctx.Err() != nil {
		return errors.New("interrupted before the synth")
	}
	dir, err := os.MkdirTemp("", "set-image-")
	if err != nil {
		return fmt.Errorf("the synth cannot start: %v", err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "synth")
	child := func(name string, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = stdout, stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 30 * time.Second // then it is killed
		return cmd
	}
	build := child("go", "build", "-o", bin, "./cmd/synth")
	build.Stdout = stderr
	if err := build.Run(); err != nil {
		if ctx.Err() != nil {
			return errors.New("interrupted while building synth")
		}
		return fmt.Errorf("building synth from the edited source: %v", err)
	}
	if err := child(bin).Run(); err != nil {
		if ctx.Err() != nil {
			return errors.New("interrupted during the synth")
		}
		return fmt.Errorf("the synth after the edit failed: %v", err)
	}
	return nil
}

// lockModule takes an exclusive flock on dir, the module root, for the
// whole edit and synth, so that two set-image runs never synthesise each
// other's half-done edits. It says so when it has to wait.
func lockModule(ctx context.Context, dir string, stderr io.Writer) (unlock func(), err error) {
	unlock, err = dirlock.Lock(ctx, dir, setImageLockWait, func() {
		fmt.Fprintf(stderr, "synth set-image: waiting for another set-image in %s\n", dir)
	})
	if errors.Is(err, dirlock.ErrTimeout) {
		return nil, fmt.Errorf("another set-image has held %s for %s", dir, setImageLockWait)
	}
	return unlock, err
}

// setImage returns src with the value of service's entry in the file's
// image map (a map literal assigned to a variable whose name ends in
// "Images") replaced by ref, every other byte unchanged.
func setImage(src []byte, service, ref string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var found []*ast.BasicLit
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range spec.Names {
			if !strings.HasSuffix(name.Name, "Images") || i >= len(spec.Values) {
				continue
			}
			lit, ok := spec.Values[i].(*ast.CompositeLit)
			if !ok {
				continue
			}
			for _, elt := range lit.Elts {
				kv, ok := elt.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				key, ok1 := kv.Key.(*ast.BasicLit)
				val, ok2 := kv.Value.(*ast.BasicLit)
				if ok1 && ok2 && key.Kind == token.STRING && val.Kind == token.STRING {
					if k, err := strconv.Unquote(key.Value); err == nil && k == service {
						found = append(found, val)
					}
				}
			}
		}
		return true
	})
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no entry %q in an image map (a variable named ...Images holding string literals)", service)
	case 1:
	default:
		return nil, fmt.Errorf("%d entries %q in image maps; expected one", len(found), service)
	}
	start, end := fset.Position(found[0].Pos()).Offset, fset.Position(found[0].End()).Offset
	out := append(append(slices.Clone(src[:start]), strconv.Quote(ref)...), src[end:]...)
	return out, nil
}

// writeFileKeeping replaces the file at path (a resolved path, not a
// symlink) with data, keeping its mode, owner and group (info is its
// stat from before). It writes a temporary file in the same directory and
// renames it over path, so a reader never sees half a file; where that
// cannot keep the file what it was (a directory it may not write, an owner
// or group it may not give, a file with other hard links) it writes the
// file in place instead. A nil info writes a new file, mode 0644, and has
// no file to write in place.
func writeFileKeeping(path string, data []byte, info os.FileInfo) error {
	var st *syscall.Stat_t
	mode := os.FileMode(0o644)
	if info != nil {
		st, _ = info.Sys().(*syscall.Stat_t)
		mode = info.Mode() & (os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky)
	}
	inPlace := func() error {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if st != nil && st.Nlink > 1 {
		return inPlace()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil && info == nil {
		return err
	}
	if err != nil {
		return inPlace()
	}
	defer os.Remove(tmp.Name())
	if st != nil {
		if err := tmp.Chown(int(st.Uid), int(st.Gid)); err != nil {
			tmp.Close()
			return inPlace()
		}
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
