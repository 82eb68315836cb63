package compose_test

import (
	"fmt"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/compose"
)

// Compose plans an environment without jsii or node; a mistake comes back
// as a problem with its construct path.
func ExampleCompose() {
	prod, _ := environments.Lookup("prod")
	plan := compose.Compose(prod)
	fmt.Println("services planned:", len(plan.Services) == len(prod.Services), "problems:", len(plan.Problems))

	prod.Namespace = "kube-system"
	for _, p := range compose.Compose(prod).Problems {
		fmt.Println(p.String(prod.Name))
	}
	// Output:
	// services planned: true problems: 0
	// [prod] namespace: "kube-system" is reserved for the Kubernetes system; install Telepace into a namespace of its own
}
