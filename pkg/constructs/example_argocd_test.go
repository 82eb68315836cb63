package constructs_test

import (
	"fmt"

	"github.com/aws/constructs-go/constructs/v10"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

// An AppProject that admits one repository, one destination and two kinds,
// and an automated Application of a chart in it whose Deployment an
// autoscaler scales.
func ExampleNewArgoApplication() {
	labels := pc.Labels{Name: "argocd", Instance: "telepace"}
	out, err := constructstest.SynthYAML(func(chart constructs.Construct) {
		project := pc.NewArgoProject(chart, "project", pc.ArgoProjectProps{
			Name: "telepace", Namespace: "argocd", Labels: labels,
			SourceRepos:     []string{"https://github.com/telepace/platform-charts.git"},
			Destinations:    []pc.ArgoDestination{{Namespace: "telepace-staging"}},
			ClusterKinds:    []pc.GroupKind{{Kind: "Namespace"}},
			NamespacedKinds: []pc.GroupKind{{Group: "apps", Kind: "Deployment"}},
		})
		pc.NewArgoApplication(chart, "staging", pc.ArgoApplicationProps{
			Name: "telepace-staging", Labels: labels, Project: project,
			RepoURL: "https://github.com/telepace/platform-charts.git", TargetRevision: "main",
			Path:              "charts/generated/staging",
			Destination:       pc.ArgoDestination{Namespace: "telepace-staging"},
			Automated:         true,
			ScaledDeployments: []string{"web"},
		})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(out)
	// Output:
	// apiVersion: argoproj.io/v1alpha1
	// kind: AppProject
	// metadata:
	//   labels:
	//     app.kubernetes.io/instance: telepace
	//     app.kubernetes.io/managed-by: Helm
	//     app.kubernetes.io/name: argocd
	//   name: telepace
	//   namespace: argocd
	// spec:
	//   clusterResourceWhitelist:
	//     - group: ""
	//       kind: Namespace
	//   destinations:
	//     - namespace: telepace-staging
	//       server: https://kubernetes.default.svc
	//   namespaceResourceWhitelist:
	//     - group: apps
	//       kind: Deployment
	//   sourceRepos:
	//     - https://github.com/telepace/platform-charts.git
	// ---
	// apiVersion: argoproj.io/v1alpha1
	// kind: Application
	// metadata:
	//   labels:
	//     app.kubernetes.io/instance: telepace
	//     app.kubernetes.io/managed-by: Helm
	//     app.kubernetes.io/name: argocd
	//   name: telepace-staging
	//   namespace: argocd
	// spec:
	//   destination:
	//     namespace: telepace-staging
	//     server: https://kubernetes.default.svc
	//   ignoreDifferences:
	//     - group: apps
	//       jsonPointers:
	//         - /spec/replicas
	//       kind: Deployment
	//       name: web
	//   project: telepace
	//   revisionHistoryLimit: 10
	//   source:
	//     helm:
	//       releaseName: telepace-staging
	//     path: charts/generated/staging
	//     repoURL: https://github.com/telepace/platform-charts.git
	//     targetRevision: main
	//   syncPolicy:
	//     automated:
	//       prune: true
	//       selfHeal: true
	//     retry:
	//       backoff:
	//         duration: 10s
	//         factor: 2
	//         maxDuration: 5m
	//       limit: 5
	//     syncOptions:
	//       - CreateNamespace=true
	//       - RespectIgnoreDifferences=true
}
