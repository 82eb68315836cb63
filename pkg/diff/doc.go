// Package diff compares two sets of generated charts, as a reviewer needs
// them compared: per chart, the objects added, removed and changed, each
// change as field paths with the old and new values; the changes that make
// helm upgrade or an Argo CD sync fail, or lose data; and a matrix of each
// service's image, scale, resources and routes across environments.
//
// Charts are read with LoadChart, which renders the templates with Helm's
// own engine, so that what is compared is what Helm applies (the charts
// escape template delimiters that their values contain). Objects are
// matched by API group, kind, namespace and name; the version of an API
// does not make an object new. Field differences come from go-cmp.
//
// Every breaking-change rule is a case under testdata/breaking/; the
// end-to-end suite (test/e2e) applies each with helm install and upgrade
// on a real apiserver and checks that this package's verdict and the
// apiserver's agree.
//
// cmd/synth's diff subcommand reads the base from git and the head from a
// fresh synthesis, adds to each chart whose topology changed the picture
// of the change (ChartDiff.Topology, drawn by pkg/synth from the charts'
// READMEs), and prints Report.Markdown.
package diff
