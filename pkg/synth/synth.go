package synth

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/internal/crds"
	"github.com/telepace/platform-charts/pkg/compose"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
)

// ChartVersion is the SemVer version of every generated chart, and their
// appVersion: the Telepace platform release. Release git tags are
// "telepace-v" followed by it.
const ChartVersion = "0.1.0"

// KubeVersion is the range of Kubernetes versions the charts support. The
// pods use the preStop sleep action (1.30).
const KubeVersion = ">=1.30.0-0"

// Chart is one environment's generated Helm chart: file paths relative to
// the chart directory, mapped to their contents.
type Chart struct {
	// Env is the environment's name, and the chart's directory name.
	Env string
	// Files maps slash-separated paths ("templates/web.yaml") to contents.
	Files map[string][]byte
}

// Object is one resolved Kubernetes object, as cdk8s wrote it.
type Object struct {
	// APIVersion, Kind, Name and Component identify the object; Component
	// is the app.kubernetes.io/name label and names the template file.
	APIVersion, Kind, Name, Component string
	// YAML is the document cdk8s wrote, before Helm escaping.
	YAML []byte
}

// Synthesize builds one cdk8s app holding a chart per environment, lets
// cdk8s validate and resolve it, and returns the Helm charts. It writes
// nothing outside a temporary directory, which it removes.
//
// The returned error is a *constructs.ValidationError when any construct reported
// problems.
func Synthesize(envs []environments.Environment) ([]Chart, error) {
	return synthesize(envs, nil)
}

// SynthesizeWithGitOps is Synthesize, and adds the chart of the Argo CD
// objects that deploy the environments (GitOpsChart: an AppProject and an
// Application per environment), built in the same cdk8s app.
func SynthesizeWithGitOps(envs []environments.Environment, g environments.GitOps) ([]Chart, error) {
	return synthesize(envs, &g)
}

func synthesize(envs []environments.Environment, g *environments.GitOps) ([]Chart, error) {
	if len(envs) == 0 {
		return nil, errors.New("no environments to synthesise")
	}
	// Neither the CRD files nor the files a plan decides alone depend on
	// cdk8s: they are read and rendered on other goroutines once the
	// charts are built, while node starts. Go's core is idle then, until
	// the kernel is ready; later, they would slow node's synth on the
	// machine's other core (bench/README.md).
	type crdFiles struct {
		files map[string]map[string][]byte
		err   error
	}
	readCRDs := func() crdFiles {
		files, err := shippedCRDs(envs)
		return crdFiles{files, err}
	}
	crdsRead := readCRDs
	var planned func() map[string]planFiles
	resolved, err := resolve(envs, g, func(plans map[string]compose.Plan) {
		crdsRead = inBackground(readCRDs)
		planned = inBackground(func() map[string]planFiles {
			out := map[string]planFiles{}
			for _, env := range envs {
				if plan, ok := plans[env.Name]; ok {
					out[env.Name] = renderPlanFiles(env, plan)
				}
			}
			return out
		})
	})
	crd := crdsRead()
	var fromPlans map[string]planFiles
	if planned != nil {
		fromPlans = planned()
	}
	if err != nil {
		return nil, err
	}
	if crd.err != nil {
		return nil, crd.err
	}
	charts := make([]Chart, 0, len(envs)+1)
	for _, env := range envs {
		c := fromPlans[env.Name].withObjects(resolved[env.Name].Objects)
		maps.Copy(c.Files, crd.files[env.Name])
		charts = append(charts, c)
	}
	if g != nil {
		charts = append(charts, renderGitOps(*g, envs, resolved[environments.GitOpsChart]))
	}
	return charts, nil
}

// MaxEnvironmentName is the longest environment name: its chart's release
// name, "telepace-" and the name, must fit Helm's 53 characters.
const MaxEnvironmentName = 53 - len(names.PartOf+"-")

// environmentNameProblems checks the names of envs, which become construct
// paths, chart directories and release names, and returns the indexes of
// the usable ones. A bad name is reported once, by its position in the
// list, since it cannot serve as a construct path.
func environmentNameProblems(envs []environments.Environment) (usable []int, problems []string) {
	seen := map[string]int{}
	for i, env := range envs {
		path := fmt.Sprintf("[environments[%d]] name: ", i)
		switch msgs := validation.IsDNS1123Label(env.Name); {
		case env.Name == "":
			problems = append(problems, path+"is required")
		case len(msgs) > 0:
			problems = append(problems, path+fmt.Sprintf("%q is not a valid environment name: %s", env.Name, strings.Join(msgs, "; ")))
		case env.Name == environments.GitOpsChart:
			problems = append(problems, path+fmt.Sprintf("%q is reserved for the Argo CD chart", env.Name))
		case len(env.Name) > MaxEnvironmentName:
			problems = append(problems, path+fmt.Sprintf("%q is longer than %d characters; its release name %q would exceed Helm's 53", env.Name, MaxEnvironmentName, names.Release(env.Name)))
		default:
			if j, dup := seen[env.Name]; dup {
				problems = append(problems, path+fmt.Sprintf("%q is already used by environments[%d]", env.Name, j))
				continue
			}
			seen[env.Name] = i
			usable = append(usable, i)
		}
	}
	return usable, problems
}

// Resolved is one environment after synthesis.
type Resolved struct {
	// Objects are the environment's objects in the order cdk8s resolved
	// them.
	Objects []Object
	// Plan is the environment's plan, which built the objects; the chart
	// README and the topology are rendered from it.
	Plan compose.Plan
}

// Resolve synthesises the environments with cdk8s and returns each
// environment's objects and composed constructs, by environment name.
func Resolve(envs []environments.Environment) (map[string]Resolved, error) {
	return resolve(envs, nil, nil)
}

// ResolveWithGitOps is Resolve, and also resolves the Argo CD chart, under
// environments.GitOpsChart.
func ResolveWithGitOps(envs []environments.Environment, g environments.GitOps) (map[string]Resolved, error) {
	return resolve(envs, &g, nil)
}

// inBackground runs f on a goroutine of its own, and returns a function
// that waits for its result, re-raising its panic on the caller's
// goroutine.
func inBackground[T any](f func() T) func() T {
	type result struct {
		value  T
		failed any
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			r.failed = recover()
			done <- r
		}()
		r.value = f()
	}()
	return func() T {
		r := <-done
		if r.failed != nil {
			panic(r.failed)
		}
		return r.value
	}
}

// resolve builds the environments' charts, and the Argo CD chart when g is
// set, in one cdk8s app, synthesises it and reads the objects back. When
// built is set, it is called with the plans, by environment name, once
// the constructs are built and before cdk8s synthesises them.
func resolve(envs []environments.Environment, g *environments.GitOps, built func(map[string]compose.Plan)) (map[string]Resolved, error) {
	usable, nameProblems := environmentNameProblems(envs)
	outdir, err := os.MkdirTemp("", "telepace-cdk8s-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(outdir)

	// The kernel starts on another goroutine while the charts are
	// composed and built on this one (pc.StartApp).
	app := pc.StartApp(&cdk8s.AppProps{
		Outdir:              jsii.String(outdir),
		OutputFileExtension: jsii.String(".yaml"),
		YamlOutputType:      cdk8s.YamlOutputType_FILE_PER_CHART,
	})
	chartProps := &cdk8s.ChartProps{DisableResourceNameHashes: jsii.Bool(true)}
	plans := map[string]compose.Plan{}
	charts := map[string]constructs.Construct{}
	var deployed []compose.Plan
	for _, i := range usable {
		chart := pc.NewChart(app, envs[i].Name, chartProps)
		plan := compose.Compose(envs[i])
		compose.Build(chart, plan)
		plans[envs[i].Name] = plan
		deployed = append(deployed, plan)
		charts[envs[i].Name] = chart
	}
	if g != nil {
		chart := pc.NewChart(app, environments.GitOpsChart, chartProps)
		compose.BuildDelivery(chart, compose.PlanDelivery(*g, deployed))
		charts[environments.GitOpsChart] = chart
	}
	if built != nil {
		built(plans)
	}
	err = app.Synth()
	if len(nameProblems) > 0 {
		var verr *pc.ValidationError
		if err != nil && !errors.As(err, &verr) {
			return nil, err
		}
		all := slices.Clone(nameProblems)
		if verr != nil {
			all = append(all, verr.Problems...)
		}
		return nil, &pc.ValidationError{Problems: all}
	}
	if err != nil {
		return nil, err
	}

	out := map[string]Resolved{}
	var leaks []string
	names := make([]string, 0, len(envs)+1)
	for _, env := range envs {
		names = append(names, env.Name)
	}
	if g != nil {
		names = append(names, environments.GitOpsChart)
	}
	for _, name := range names {
		env := environments.Environment{Name: name}
		raw, err := os.ReadFile(filepath.Join(outdir, env.Name+".yaml"))
		if errors.Is(err, os.ErrNotExist) {
			// cdk8s writes no file for a chart without objects.
			out[env.Name] = Resolved{Plan: plans[env.Name]}
			continue
		}
		if err != nil {
			return nil, err
		}
		objs, err := splitObjects(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", env.Name, err)
		}
		leaks = append(leaks, plaintextSecrets(charts[env.Name], objs)...)
		leaks = append(leaks, duplicateObjects(charts[env.Name], objs)...)
		if env.Name != environments.GitOpsChart {
			leaks = append(leaks, kindsOutsideProject(charts[env.Name], objs)...)
		}
		out[env.Name] = Resolved{Objects: objs, Plan: plans[env.Name]}
	}
	if len(leaks) > 0 {
		return nil, &pc.ValidationError{Problems: leaks}
	}
	return out, nil
}

// plaintextSecrets returns a problem for each object that would put a
// secret value in git: a Secret with data or stringData, or a
// SealedSecret whose template carries plain data. Whatever construct added
// it, the problem names its construct path. Secrets come from
// ExternalSecrets and SealedSecrets (environments/secrets.go).
func plaintextSecrets(chart constructs.Construct, objs []Object) []string {
	var problems []string
	for _, o := range objs {
		var fields []string
		switch o.Kind {
		case "Secret":
			var s struct {
				Data       map[string]any `json:"data"`
				StringData map[string]any `json:"stringData"`
			}
			if err := yaml.Unmarshal(o.YAML, &s); err != nil {
				problems = append(problems, fmt.Sprintf("[%s] Secret %q: %v", *chart.Node().Id(), o.Name, err))
				continue
			}
			if len(s.Data) > 0 {
				fields = append(fields, "data")
			}
			if len(s.StringData) > 0 {
				fields = append(fields, "stringData")
			}
		case "SealedSecret":
			var s struct {
				Spec struct {
					Template struct {
						Data map[string]any `json:"data"`
					} `json:"template"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal(o.YAML, &s); err != nil {
				problems = append(problems, fmt.Sprintf("[%s] SealedSecret %q: %v", *chart.Node().Id(), o.Name, err))
				continue
			}
			if len(s.Spec.Template.Data) > 0 {
				fields = append(fields, "spec.template.data")
			}
		}
		for _, f := range fields {
			problems = append(problems, fmt.Sprintf("[%s] %s: a %s in the chart puts its values in git; produce the Secret with an ExternalSecret or a SealedSecret (environments/secrets.go)",
				objectPaths(chart, o)[0], f, o.Kind))
		}
	}
	return problems
}

// duplicateObjects returns a problem for each kind and name two objects of
// the chart share: Kubernetes would keep one, and Helm refuses the chart.
func duplicateObjects(chart constructs.Construct, objs []Object) []string {
	seen := map[[2]string]int{}
	for _, o := range objs {
		seen[[2]string{o.Kind, o.Name}]++
	}
	var problems []string
	for _, o := range objs {
		key := [2]string{o.Kind, o.Name}
		if seen[key] < 2 {
			continue
		}
		seen[key] = 0 // report each pair once
		paths := objectPaths(chart, o)
		problems = append(problems, fmt.Sprintf("[%s] name: %s %q is defined more than once: by %s; give each its own name",
			paths[len(paths)-1], o.Kind, o.Name, strings.Join(paths, " and ")))
	}
	return problems
}

// shippedCRDs returns, by environment, the crds/ files of the CRD sources
// each names, as package crds embeds them: one file per CRD, as its pinned
// module ships it, under a header naming the pin.
func shippedCRDs(envs []environments.Environment) (map[string]map[string][]byte, error) {
	out := map[string]map[string][]byte{}
	var problems []string
	for _, env := range envs {
		for i, name := range env.CRDs {
			docs, err := crds.Documents(name)
			if errors.Is(err, crds.ErrNotPinned) {
				problems = append(problems, fmt.Sprintf("[%s] crds[%d]: %v", env.Name, i, err))
				continue
			}
			if err != nil {
				// The build, not the input: files and pins disagree.
				return nil, fmt.Errorf("reading the CRDs the %s chart ships: %w", env.Name, err)
			}
			if out[env.Name] == nil {
				out[env.Name] = map[string][]byte{}
			}
			for _, crd := range slices.Sorted(maps.Keys(docs)) {
				out[env.Name]["crds/"+crd+".yaml"] = append([]byte(fmt.Sprintf(crdHeader, crd, name)), docs[crd]...)
			}
		}
	}
	if len(problems) > 0 {
		return nil, &pc.ValidationError{Problems: problems}
	}
	return out, nil
}

// crdHeader heads each shipped CRD file: the CRD's name and its source's.
const crdHeader = "# %s, pinned in internal/crds/crd-versions.txt (%s). Copied by cmd/synth; do not edit.\n"

// kindsOutsideProject returns a problem for each object whose kind the
// Argo CD project does not let Argo CD create: Argo CD would refuse to
// sync the chart.
func kindsOutsideProject(chart constructs.Construct, objs []Object) []string {
	var problems []string
	reported := map[string]bool{}
	for _, o := range objs {
		group, _, _ := strings.Cut(o.APIVersion, "/")
		if !strings.Contains(o.APIVersion, "/") {
			group = "" // the core group: "v1"
		}
		if ok, _ := environments.AllowedKind(group, o.Kind); ok || reported[o.APIVersion+o.Kind] {
			continue
		}
		reported[o.APIVersion+o.Kind] = true
		problems = append(problems, fmt.Sprintf("[%s] kind: %s %s is not a kind the Argo CD project allows; add it to environments.ProjectNamespacedKinds or ProjectClusterKinds",
			objectPaths(chart, o)[0], o.APIVersion, o.Kind))
	}
	return problems
}

// objectPaths returns the construct paths of the chart's objects of o's
// kind and name, or the chart's own path if it finds none. It walks the
// whole construct tree, so it is only called on the error path.
func objectPaths(chart constructs.Construct, o Object) []string {
	var paths []string
	for _, c := range *chart.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if !*cdk8s.ApiObject_IsApiObject(c) {
			continue
		}
		if a := cdk8s.ApiObject_Of(c); *a.Kind() == o.Kind && *a.Name() == o.Name {
			paths = append(paths, *a.Node().Path())
		}
	}
	if len(paths) == 0 {
		paths = append(paths, *chart.Node().Path())
	}
	return paths
}

// splitObjects splits a cdk8s multi-document YAML file into its objects,
// keeping each document's text exactly as cdk8s wrote it. Each object's
// YAML is a slice of raw, capped at its end.
//
// It reads each document's identity as it splits, with a headScanner, and
// a document the scanner cannot read with the YAML parser (parseHead); the
// two agree on every document the scanner reads
// (TestScanHeadAgreesWithTheParser).
func splitObjects(raw []byte) ([]Object, error) {
	var objs []Object
	var scan headScanner
	scan.reset()
	start := 0 // where the current document starts
	add := func(end int) error {
		doc := raw[start:end:end]
		h, ok := scan.end()
		scan.reset()
		if len(bytes.TrimSpace(doc)) == 0 {
			return nil
		}
		if !ok {
			var err error
			if h, err = parseHead(doc); err != nil {
				return fmt.Errorf("reading cdk8s output: %w", err)
			}
		}
		component := h.component
		if component == "" {
			component = "platform"
		}
		objs = append(objs, Object{APIVersion: h.apiVersion, Kind: h.kind, Name: h.name, Component: component, YAML: doc})
		return nil
	}
	for i := 0; i < len(raw); {
		end, next := len(raw), len(raw)
		if j := bytes.IndexByte(raw[i:], '\n'); j >= 0 {
			end, next = i+j, i+j+1
		}
		// A line "---" ends a document, and the next starts after it.
		if line := raw[i:end]; string(line) == "---" {
			if err := add(i); err != nil {
				return nil, err
			}
			start = next
		} else if scan.ok {
			scan.line(line)
		}
		i = next
	}
	if err := add(len(raw)); err != nil {
		return nil, err
	}
	return objs, nil
}
