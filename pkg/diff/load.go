package diff

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// namespaceAnnotation is the Chart.yaml annotation that names the namespace
// an environment's chart is installed in.
const namespaceAnnotation = "telepace.cc/namespace"

// Chart is one generated chart, read for comparison: its objects as Helm
// renders them, its namespace and its dependencies.
type Chart struct {
	// Env is the environment, or the name of a chart that is not one
	// (argocd).
	Env string
	// Namespace is the namespace the chart installs into, from its
	// Chart.yaml; objects without a namespace of their own land there.
	Namespace string
	// Objects are the templates' and crds/' objects, in file order.
	Objects []Object
	// Dependencies are the chart's Helm dependencies, by name (or alias).
	Dependencies map[string]string
	// Values is the chart's values.yaml.
	Values map[string]any
}

// Object is one Kubernetes object of a chart.
type Object struct {
	// File is the chart file that holds it, such as templates/web.yaml.
	File string
	// APIVersion and Kind are the object's, as written.
	APIVersion, Kind string
	// Namespace is the object's namespace: its own, or its chart's.
	Namespace string
	// Name is metadata.name.
	Name string
	// Body is the whole object.
	Body map[string]any
}

// ID identifies an object within a cluster.
type ID struct {
	Group, Kind, Namespace, Name string
}

// ID returns the object's identity: API group (not version), kind,
// namespace and name.
func (o Object) ID() ID {
	gv, _ := schema.ParseGroupVersion(o.APIVersion)
	return ID{Group: gv.Group, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// String is the object as a reviewer reads it: "Deployment web", with the
// namespace when it has one.
func (id ID) String() string {
	if id.Namespace == "" {
		return id.Kind + " " + id.Name
	}
	return id.Kind + " " + id.Namespace + "/" + id.Name
}

// LoadChart reads a generated chart from its files (paths relative to the
// chart directory, with forward slashes) and renders its templates with
// Helm's engine, so that what is compared is what Helm applies. Vendored
// dependencies under charts/ are not rendered: a dependency shows as its
// pinned version.
func LoadChart(env string, files map[string][]byte) (Chart, error) {
	var buffered []*loader.BufferedFile
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if strings.HasPrefix(name, "charts/") || name == "Chart.lock" {
			continue
		}
		buffered = append(buffered, &loader.BufferedFile{Name: name, Data: files[name]})
	}
	ch, err := loader.LoadFiles(buffered)
	if err != nil {
		return Chart{}, fmt.Errorf("chart %s: %w", env, err)
	}
	c := Chart{
		Env:          env,
		Namespace:    ch.Metadata.Annotations[namespaceAnnotation],
		Dependencies: map[string]string{},
		Values:       ch.Values,
	}
	for _, d := range ch.Metadata.Dependencies {
		c.Dependencies[cmp.Or(d.Alias, d.Name)] = d.Repository + " " + d.Version
	}
	rendered, err := render(ch, c.Namespace)
	if err != nil {
		return Chart{}, fmt.Errorf("chart %s: %w", env, err)
	}
	for _, crd := range ch.CRDObjects() {
		rendered[path.Clean(strings.TrimPrefix(crd.Filename, ch.Name()+"/"))] = string(crd.File.Data)
	}
	for _, file := range slices.Sorted(maps.Keys(rendered)) {
		objs, err := parseObjects(file, []byte(rendered[file]), c.Namespace)
		if err != nil {
			return Chart{}, fmt.Errorf("chart %s: %w", env, err)
		}
		c.Objects = append(c.Objects, objs...)
	}
	return c, nil
}

// render renders ch's own templates, as helm template would, keyed by the
// file's path inside the chart.
func render(ch *chart.Chart, namespace string) (map[string]string, error) {
	// Render only the chart's own templates: a dependency that is not
	// vendored is absent, and the pinned version stands for it.
	ch.SetDependencies()
	vals, err := chartutil.ToRenderValues(ch, ch.Values, chartutil.ReleaseOptions{
		Name: ch.Name(), Namespace: namespace, IsInstall: true,
	}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	files := map[string]string{}
	for name, text := range out {
		if path.Ext(name) != ".yaml" && path.Ext(name) != ".yml" {
			continue // NOTES.txt, helpers
		}
		files[strings.TrimPrefix(name, ch.Name()+"/")] = text
	}
	return files, nil
}

// parseObjects splits a rendered file into its objects.
func parseObjects(file string, data []byte, namespace string) ([]Object, error) {
	var objs []Object
	for i, doc := range splitDocuments(data) {
		var body map[string]any
		if err := yaml.Unmarshal(doc, &body); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i+1, err)
		}
		if len(body) == 0 {
			continue
		}
		o := Object{File: file, Body: body}
		o.APIVersion, o.Kind = str(body, "apiVersion"), str(body, "kind")
		o.Name = str(body, "metadata", "name")
		ns := str(body, "metadata", "namespace")
		if o.APIVersion == "" || o.Kind == "" || o.Name == "" {
			return nil, fmt.Errorf("%s: document %d: not a Kubernetes object (apiVersion, kind and metadata.name are required)", file, i+1)
		}
		if ns == "" && !clusterScoped(o) {
			ns = namespace
		}
		o.Namespace = ns
		objs = append(objs, o)
	}
	return objs, nil
}

// splitDocuments splits a YAML stream at its "---" lines.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	for line := range bytes.Lines(data) {
		if t := bytes.TrimRight(line, "\r\n"); bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) {
			docs = append(docs, bytes.Clone(cur.Bytes()))
			cur.Reset()
			continue
		}
		cur.Write(line)
	}
	return append(docs, cur.Bytes())
}

// clusterScopedKinds are the cluster-scoped kinds the charts may hold.
var clusterScopedKinds = map[string]bool{
	"Namespace": true, "CustomResourceDefinition": true, "ClusterRole": true,
	"ClusterRoleBinding": true, "PriorityClass": true, "StorageClass": true,
	"PersistentVolume": true, "GatewayClass": true, "KongClusterPlugin": true,
	"ClusterSecretStore": true, "ClusterExternalSecret": true, "IngressClass": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
}

func clusterScoped(o Object) bool { return clusterScopedKinds[o.Kind] }

// lookup returns the value at the path of map keys, or nil.
func lookup(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
