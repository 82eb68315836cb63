package main

import (
	"bytes"
	"cmp"
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

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/environments"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

var digestRef = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// runSetImage implements `synth set-image`: it checks an image reference
// against the environment's tag rules, rewrites the one entry of the
// environment's image map (environments/<env>.go) with a Go syntax-tree
// edit that leaves every other byte of the file as it was, then runs the
// full synth from the edited source.
func runSetImage(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synth set-image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envName := fs.String("env", "", "the environment; required")
	service := fs.String("service", "", "the service, as the environment's image map names it; required")
	tag := fs.String("tag", "", "the image tag (a release tag vX.Y.Z outside dev)")
	digest := fs.String("digest", "", "the image digest, sha256:<64 hex>")
	check := fs.Bool("check", false, "only validate; change nothing")
	file := fs.String("file", "", "the environment's Go file; defaults to environments/<env>.go in the module")
	synthAfter := fs.Bool("synth", true, "run the full synth after the edit")
	fromEnv := fs.String("from-env", "", "refuse unless this environment already runs the same reference (prod promotes only what staging runs)")
	fs.Usage = func() {
		io.WriteString(stderr, `Usage: synth set-image --env ENV --service NAME (--tag TAG | --digest sha256:...) [--check]

Set the image tag or digest of one service in one environment: the single
entry of the environment's image map in environments/<env>.go changes,
every other byte of the file stays, and the charts are synthesised again.

Exit codes: 0 done (or valid, with --check); 1 the reference or the file
is refused, or the synth failed; 2 bad usage.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "synth set-image: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usage("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	env, ok := environments.Lookup(*envName)
	if !ok {
		var names []string
		for _, e := range environments.All() {
			names = append(names, e.Name)
		}
		return usage("--env: %q is not an environment; known: %s", *envName, strings.Join(names, ", "))
	}
	if _, ok := env.Images[*service]; !ok {
		return usage("--service: %q has no image in %s; known: %s", *service, env.Name, strings.Join(slices.Sorted(maps.Keys(env.Images)), ", "))
	}
	if (*tag == "") == (*digest == "") {
		return usage("give exactly one of --tag and --digest")
	}
	ref := *tag
	if *digest != "" {
		if !digestRef.MatchString(*digest) {
			return usage("--digest: %q is not sha256: followed by 64 lower-case hex digits", *digest)
		}
		ref = *digest
	}
	if *fromEnv != "" {
		from, ok := environments.Lookup(*fromEnv)
		if !ok {
			return usage("--from-env: %q is not an environment", *fromEnv)
		}
		if got := from.Images[*service]; got != ref {
			fmt.Fprintf(stderr, "synth set-image: [%s] images[%s]: %s runs %q, not %q; promote what %s runs\n", env.Name, *service, from.Name, got, ref, from.Name)
			return exitFailed
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
		fmt.Fprintf(stderr, "synth set-image: [%s] images[%s]: %s\n", env.Name, *service, strings.TrimPrefix(problems[0], "image: "))
		return exitFailed
	}
	path := *file
	if path == "" {
		wd, err := os.Getwd()
		if err != nil {
			fmt.Fprintf(stderr, "synth set-image: %v\n", err)
			return exitFailed
		}
		root, err := moduleRoot(wd)
		if err != nil {
			fmt.Fprintf(stderr, "synth set-image: %v\n", err)
			return exitFailed
		}
		path = filepath.Join(root, "environments", env.Name+".go")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "synth set-image: %v\n", err)
		return exitFailed
	}
	edited, err := setImage(src, *service, ref)
	if err != nil {
		fmt.Fprintf(stderr, "synth set-image: %s: %v\n", path, err)
		return exitFailed
	}
	if *check {
		fmt.Fprintf(stdout, "synth set-image: %s %s %s is valid\n", env.Name, *service, ref)
		return exitOK
	}
	if bytes.Equal(edited, src) {
		fmt.Fprintf(stdout, "synth set-image: %s already runs %s %s\n", env.Name, *service, ref)
		return exitOK
	}
	if err := writeFileAtomic(path, edited); err != nil {
		fmt.Fprintf(stderr, "synth set-image: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "synth set-image: %s: %s %s -> %s\n", path, env.Name, *service, ref)
	if !*synthAfter {
		return exitOK
	}
	// The edited Go is not compiled into this process: synthesise with a
	// fresh one.
	cmd := exec.Command("go", "run", "./cmd/synth")
	cmd.Dir = filepath.Dir(filepath.Dir(path))
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(stderr, "synth set-image: synth after the edit: %v\n", err)
		return exitFailed
	}
	return exitOK
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

// writeFileAtomic replaces path with data through a temporary file in the
// same directory, keeping the file's mode.
func writeFileAtomic(path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".set-image-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
