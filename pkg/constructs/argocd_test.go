package constructs_test

import (
	"testing"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

var argoLabels = pc.Labels{Name: "argocd", Instance: "telepace"}

func argoProject(destinations ...pc.ArgoDestination) pc.ArgoProjectProps {
	return pc.ArgoProjectProps{
		Name: "telepace", Namespace: "argocd", Labels: argoLabels,
		SourceRepos:     []string{"https://github.com/telepace/platform-charts.git"},
		Destinations:    destinations,
		ClusterKinds:    []pc.GroupKind{{Kind: "Namespace"}},
		NamespacedKinds: []pc.GroupKind{{Group: "apps", Kind: "Deployment"}},
	}
}

func TestArgoValidation(t *testing.T) {
	tests := []struct {
		name    string
		project pc.ArgoProjectProps
		app     pc.ArgoApplicationProps
		want    []string
	}{
		{
			name:    "a project that fences nothing",
			project: pc.ArgoProjectProps{Name: "telepace", Namespace: "Argo CD", Labels: argoLabels},
			app:     pc.ArgoApplicationProps{RepoURL: "https://github.com/telepace/platform-charts.git", TargetRevision: "main", Path: "charts/generated/dev", Destination: pc.ArgoDestination{Namespace: "telepace-dev"}},
			want: []string{
				`[test/project] namespace: "Argo CD" is not a valid namespace: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
				`[test/project] sourceRepos: name at least one repository; an empty list lets nothing deploy`,
				`[test/project] destinations: name at least one destination`,
				`[test/project] namespacedKinds: name at least one kind; an empty list lets every kind in`,
				`[test/app] repoURL: "https://github.com/telepace/platform-charts.git" is not a source repository of project "telepace"`,
				`[test/app] destination: https://kubernetes.default.svc namespace "telepace-dev" is not a destination of project "telepace"`,
				`[test/app] project: project "telepace" does not allow the Namespace kind, which CreateNamespace=true creates`,
			},
		},
		{
			name:    "an application outside its project",
			project: argoProject(pc.ArgoDestination{Namespace: "telepace-dev"}),
			app: pc.ArgoApplicationProps{
				RepoURL: "https://user:token@github.com/telepace/platform-charts.git", TargetRevision: "main branch", Path: "../charts",
				Destination: pc.ArgoDestination{Server: "http://10.0.0.1", Namespace: "telepace"},
			},
			want: []string{
				`[test/app] repoURL: "https://user:token@github.com/telepace/platform-charts.git" carries credentials; give Argo CD a repository Secret instead`,
				`[test/app] targetRevision: "main branch" is not a branch, tag or commit`,
				`[test/app] path: "../charts" is not a clean path inside the repository`,
				`[test/app] destination.server: "http://10.0.0.1" is not an https API server URL (no path, no trailing slash)`,
				`[test/app] destination: http://10.0.0.1 namespace "telepace" is not a destination of project "telepace"`,
			},
		},
		{
			name:    "namespace labels the apiserver would refuse",
			project: argoProject(pc.ArgoDestination{Namespace: "telepace"}),
			app: pc.ArgoApplicationProps{
				RepoURL: "https://github.com/telepace/platform-charts.git", TargetRevision: "main", Path: "charts/generated/prod",
				Destination:     pc.ArgoDestination{Namespace: "telepace"},
				NamespaceLabels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted strictly", "pod security": "restricted"},
			},
			want: []string{
				`[test/app] namespaceLabels[pod security]: "pod security" is not a valid label key: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
				`[test/app] namespaceLabels[pod-security.kubernetes.io/enforce]: "restricted strictly" is not a valid label value: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
			},
		},
	}
	tests = append(tests, struct {
		name    string
		project pc.ArgoProjectProps
		app     pc.ArgoApplicationProps
		want    []string
	}{
		name: "Argo CD's own project, a destination named twice over, a server URL with a slash",
		project: func() pc.ArgoProjectProps {
			p := argoProject(pc.ArgoDestination{Server: "https://10.0.0.1:6443/", Namespace: "telepace"}, pc.ArgoDestination{Server: "https://10.0.0.1", Name: "prod", Namespace: "telepace"})
			p.Name = "default"
			return p
		}(),
		app: pc.ArgoApplicationProps{RepoURL: "https://github.com/telepace/platform-charts.git", TargetRevision: "main", Path: "charts/generated/prod", Destination: pc.ArgoDestination{Name: "prod", Namespace: "telepace"}},
		want: []string{
			`[test/project] name: "default" is Argo CD's built-in project; applying this one would replace it`,
			`[test/project] destinations[0].server: "https://10.0.0.1:6443/" is not an https API server URL (no path, no trailing slash)`,
			`[test/project] destinations[1]: set server or name, not both`,
			`[test/app] destination: cluster prod namespace "telepace" is not a destination of project "default"`,
		},
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := constructstest.Synth(func(chart constructs.Construct) {
				p := pc.NewArgoProject(chart, "project", tt.project)
				tt.app.Project = p
				tt.app.Labels = argoLabels
				pc.NewArgoApplication(chart, "app", tt.app)
			})
			var verr *pc.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tt.want, verr.Problems)
		})
	}
}
