package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/telepace/platform-charts/pkg/diff"
)

// diffMarker starts every summary, so that CI finds the pull request
// comment it posted before and updates it.
const diffMarker = "<!-- telepace-synth-diff -->"

// runDiff implements `synth diff`: it compares the charts committed at the
// base ref with the charts the working tree's code produces, and prints a
// Markdown review summary.
func runDiff(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synth diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "HEAD", "the git ref whose committed "+defaultOut+" is the base")
	var envList envValues
	fs.Var(&envList, "env", "compare only these environments (comma-separated, or --env repeated); default: every chart")
	out := fs.String("out", "", "write the summary to this file instead of standard output")
	failOnBreaking := fs.Bool("fail-on-breaking", false, "exit 3 when a change is breaking")
	fs.Usage = func() {
		io.WriteString(stderr, `Usage: synth diff [--base REF] [--env NAME[,NAME...]] [--out FILE] [--fail-on-breaking]

Compare the charts committed under `+defaultOut+` at REF (default HEAD) with
the charts the working tree's code produces, and print a Markdown summary:
breaking changes first, then per chart a Mermaid picture of its topology
when that changed (routes, plugins, NetworkPolicy edges, Secret sources;
added and removed edges marked), the objects added, removed and changed,
each change as field paths with old and new values, then a matrix of
every service's image, scale, resources and routes per environment.
Nothing is written to `+defaultOut+`. The committed charts are what the base
code produces: CI's synth --check refuses a commit where they differ.

Exit codes: 0 compared; 1 failed (synthesis, reading a chart, git missing,
no repository or a repository without commits); 2 bad usage (unknown flag
or environment, empty or unknown --base, an --out inside `+defaultOut+`);
3 breaking changes found, with --fail-on-breaking.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "synth diff: "+format+"\n", a...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(exitUsage, "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if strings.TrimSpace(*base) == "" {
		return fail(exitUsage, "--base is empty; name a git ref such as main or origin/main")
	}
	if set["out"] && *out == "" {
		return fail(exitUsage, "--out is empty; name a file, or leave it out for standard output")
	}
	envs, err := selectEnvs(strings.Join(envList, ","), set["env"])
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return fail(exitFailed, "%v", err)
	}
	root, err := moduleRoot(wd)
	var noModule *noModuleError
	if errors.As(err, &noModule) {
		// diff reads the repository's history: --out does not help.
		return fail(exitFailed, "cannot find the module root (the go.mod of %s) in %s or above it; run synth diff inside the repository", modulePath, noModule.dir)
	}
	if err != nil {
		return fail(exitFailed, "%v", err)
	}
	if *out != "" {
		in, err := inGenerated(root, *out)
		if err != nil {
			return fail(exitFailed, "--out: %v", err)
		}
		if in {
			return fail(exitUsage, "--out %q is inside %s, which holds only generated charts; write the summary elsewhere", *out, defaultOut)
		}
	}
	if err := checkRepository(root); err != nil {
		return fail(exitFailed, "%v", err)
	}
	commit, err := resolveRef(root, *base)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	baseFiles, err := committedCharts(root, commit)
	if err != nil {
		return fail(exitFailed, "%v", err)
	}
	if err := lookNode(); err != nil {
		return fail(exitFailed, "%v", err)
	}
	if warning := staleBinary(root); warning != "" {
		fmt.Fprintf(stderr, "synth diff: warning: %s\n", warning)
	}
	charts, err := synthesizeSafely(envs, !set["env"])
	if err != nil || ctx.Err() != nil {
		return synthFailed(ctx, stderr, err)
	}
	headFiles := map[string]map[string][]byte{}
	for _, c := range charts {
		headFiles[c.Env] = c.Files
	}
	if set["env"] {
		// Compare only the charts asked for.
		for env := range baseFiles {
			if _, ok := headFiles[env]; !ok {
				delete(baseFiles, env)
			}
		}
	}
	baseCharts, err := loadCharts(baseFiles)
	if err != nil {
		return fail(exitFailed, "base %s: %v", *base, err)
	}
	headCharts, err := loadCharts(headFiles)
	if err != nil {
		return fail(exitFailed, "working tree: %v", err)
	}
	report := diff.Compare(baseCharts, headCharts)
	report.Base, report.Head = *base, "working tree"
	if err := drawTopologies(&report, baseFiles, headFiles); err != nil {
		return fail(exitFailed, "%v", err)
	}
	text := diffMarker + "\n" + report.Markdown()
	if *out != "" {
		if err := writeFileAtomic(*out, []byte(text)); err != nil {
			return fail(exitFailed, "%v", err)
		}
	} else if _, err := io.WriteString(stdout, text); err != nil {
		return fail(exitFailed, "writing the summary: %v", err)
	}
	if *failOnBreaking && len(report.Breaking) > 0 {
		fmt.Fprintf(stderr, "synth diff: %d breaking changes\n", len(report.Breaking))
		return exitChanged
	}
	return exitOK
}

// staleBinary returns a warning when this binary was built from other
// code than the working tree's: a diff compares what the binary's own
// compiled code produces, so a binary built before an edit reports the
// edit as no change. It says nothing for go run, whose binary carries no
// version-control stamp and is always built from the working tree.
func staleBinary(root string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return ""
	}
	head, err := git(root, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	dirty, _ := git(root, "status", "--porcelain", "--", "*.go", "go.mod", "go.sum").Output()
	return staleWarning(rev, modified, strings.TrimSpace(string(head)), len(bytes.TrimSpace(dirty)) > 0)
}

// staleWarning is staleBinary's verdict on a binary built at rev (with
// uncommitted changes if modified) run in a tree at head (with
// uncommitted Go changes if dirty).
func staleWarning(rev string, modified bool, head string, dirty bool) string {
	switch {
	case rev != head:
		return fmt.Sprintf("this synth was built from commit %.12s, not HEAD; it compares what that code produces: rebuild it, or use go run ./cmd/synth diff", rev)
	case modified || dirty:
		return "this synth was built from, or is run beside, uncommitted Go changes; it compares what its own build produces: rebuild it after editing, or use go run ./cmd/synth diff"
	}
	return ""
}

// git returns a git command run in root, with messages in English, which
// committedCharts reads.
func git(root string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANGUAGE=")
	return cmd
}

// checkRepository returns an error, worded for its cause, when synth diff
// cannot read commits in root: git is not installed, root is in no git
// repository, or the repository has no commits yet. These are failures
// (exit 1), not bad usage: no --base would help.
func checkRepository(root string) error {
	if _, err := exec.LookPath("git"); err != nil {
		return errors.New("git is not on PATH; synth diff reads the base's charts from git")
	}
	cmd := git(root, "rev-parse", "--git-dir")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "not a git repository") {
			return fmt.Errorf("%s is not in a git repository; synth diff compares the working tree with a commit", root)
		}
		return fmt.Errorf("git rev-parse in %s: %v: %s", root, err, msg)
	}
	if err := git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return fmt.Errorf("git rev-parse in %s: %v", root, err)
		}
		if out, _ := git(root, "for-each-ref", "--count=1", "--format=%(refname)").Output(); len(bytes.TrimSpace(out)) == 0 {
			return fmt.Errorf("the repository of %s has no commits yet; commit the charts, then compare", root)
		}
	}
	return nil
}

// resolveRef returns the commit that ref names in the repository at root.
func resolveRef(root, ref string) (string, error) {
	if strings.HasPrefix(ref, "-") {
		return "", fmt.Errorf("--base %q is not a git ref", ref)
	}
	cmd := git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if msg := strings.TrimSpace(stderr.String()); msg != "" {
				return "", fmt.Errorf("--base %q: %s", ref, msg)
			}
			if strings.Contains(ref, "..") {
				return "", fmt.Errorf("--base %q is a range; name one commit, such as main or origin/main", ref)
			}
			if strings.ContainsAny(ref, "~^:@") {
				// An expression over refs this repository has: no fetch
				// brings it.
				return "", fmt.Errorf("--base %q does not name a commit in %s", ref, root)
			}
			return "", fmt.Errorf("--base %q does not name a commit in %s (fetch it first, e.g. git fetch origin main)", ref, root)
		}
		return "", fmt.Errorf("--base %q: git: %v", ref, err)
	}
	return strings.TrimSpace(string(raw)), nil
}

// committedCharts returns the files of each chart under defaultOut at the
// commit, by chart name and path inside the chart. Vendored dependencies
// are left out.
func committedCharts(root, commit string) (map[string]map[string][]byte, error) {
	cmd := git(root, "archive", "--format=tar", commit, "--", defaultOut)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	out := map[string]map[string][]byte{}
	if err != nil {
		if strings.Contains(stderr.String(), "did not match any files") {
			return out, nil // the base has no generated charts yet
		}
		return nil, fmt.Errorf("git archive %s: %v: %s", commit, err, strings.TrimSpace(stderr.String()))
	}
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("git archive %s: %v", commit, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		rel, ok := strings.CutPrefix(path.Clean(h.Name), defaultOut+"/")
		if !ok {
			continue
		}
		env, file, ok := strings.Cut(rel, "/")
		if !ok || strings.HasPrefix(file, "charts/") || file == "Chart.lock" {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		if out[env] == nil {
			out[env] = map[string][]byte{}
		}
		out[env][file] = data
	}
}

// loadCharts reads every chart, in environment order with the Argo CD
// chart last.
func loadCharts(files map[string]map[string][]byte) ([]diff.Chart, error) {
	var order []string
	for _, e := range envNames() {
		if _, ok := files[e]; ok {
			order = append(order, e)
		}
	}
	var rest []string
	for name := range files {
		if !slices.Contains(order, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	var out []diff.Chart
	for _, name := range append(order, rest...) {
		c, err := diff.LoadChart(name, files[name])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// writeFileAtomic writes data to path through a temporary file beside it,
// renamed over path only when complete: a reader of path, such as the job
// that posts the summary, never sees half of it.
// An existing path keeps its mode, must be writable, and is written where
// a symlink points.
func writeFileAtomic(path string, data []byte) error {
	if info, err := os.Lstat(path); err == nil && info.Mode()&os.ModeSymlink != 0 {
		if _, err := filepath.EvalSymlinks(path); err != nil {
			// A link to a file yet to be written: write that file.
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(filepath.Dir(path), target)
			}
			path = target
		}
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return writeFileKeeping(path, data, nil)
	}
	f, err := os.OpenFile(real, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	f.Close()
	if err != nil {
		return err
	}
	return writeFileKeeping(real, data, info)
}
