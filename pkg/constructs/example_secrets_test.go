package constructs_test

import (
	"fmt"
	"time"

	"github.com/aws/constructs-go/constructs/v10"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

// An ExternalSecret reading Google Secret Manager through a store that
// authenticates by GKE workload identity, and one made of a generated
// password and a user name.
func ExampleNewExternalSecret() {
	labels := pc.Labels{Name: "secrets", Instance: "telepace-prod"}
	out, err := constructstest.SynthYAML(func(chart constructs.Construct) {
		store := pc.NewSecretStore(chart, "gsm", pc.SecretStoreProps{Labels: labels, GoogleSecretManager: &pc.GoogleSecretManager{
			ProjectID:      "telepace-prod",
			ServiceAccount: "external-secrets@telepace-prod.iam.gserviceaccount.com",
		}})
		pc.NewExternalSecret(chart, "telepace-redis", pc.ExternalSecretProps{
			Labels: labels, Store: store, RefreshInterval: time.Hour, Retain: true,
			Keys: []pc.RemoteKey{{Key: "redis-password", Remote: "prod-telepace-redis-redis-password"}},
		})
		password := pc.NewPasswordGenerator(chart, "password", pc.PasswordGeneratorProps{Labels: labels})
		pc.NewExternalSecret(chart, "telepace-postgres", pc.ExternalSecretProps{
			Labels:    labels,
			Generated: []pc.GeneratedKey{{Key: "postgres-password", Generator: password}},
			Values:    map[string]string{"postgres-username": "telepace"},
		})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(out)
	// Output:
	// apiVersion: v1
	// kind: ServiceAccount
	// metadata:
	//   annotations:
	//     iam.gke.io/gcp-service-account: external-secrets@telepace-prod.iam.gserviceaccount.com
	//   labels:
	//     app.kubernetes.io/instance: telepace-prod
	//     app.kubernetes.io/managed-by: Helm
	//     app.kubernetes.io/name: secrets
	//   name: gsm
	// automountServiceAccountToken: false
	// ---
	// apiVersion: external-secrets.io/v1
	// kind: SecretStore
	// metadata:
	//   labels:
	//     app.kubernetes.io/instance: telepace-prod
	//     app.kubernetes.io/managed-by: Helm
	//     app.kubernetes.io/name: secrets
	//   name: gsm
	// spec:
	//   provider:
	//     gcpsm:
	//       auth:
	//         workloadIdentity:
	//           serviceAccountRef:
	//             name: gsm
	//       projectID: telepace-prod
	// ---
	// apiVersion: external-secrets.io/v1
	// kind: ExternalSecret
	// metadata:
	//   labels:
	//     app.kubernetes.io/instance: telepace-prod
	//     app.kubernetes.io/managed-by: Helm
	//     app.kubernetes.io/name: secrets
	//   name: telepace-redis
	// spec:
	//   data:
	//     - remoteRef:
	//         key: prod-telepace-redis-redis-password
	//       secretKey: redis-password
	//   refreshInterval: 1h0m0s
	//   refreshPolicy: Periodic
	//   secretStoreRef:
	//     kind: SecretStore
	//     name: gsm
	//   target:
	//     creationPolicy: Orphan
	//     deletionPolicy: Retain
	//     name: telepace-redis
	//     template:
	//       engineVersion: v2
	//       mergePolicy: Merge
	//       metadata:
	//         labels:
	//           app.kubernetes.io/managed-by: external-secrets
	//           app.kubernetes.io/name: secrets
	// ---
	// apiVersion: generators.external-secrets.io/v1alpha1
	// kind: Password
	// metadata:
	//   labels:
	//     app.kubernetes.io/instance: telepace-prod
	//     app.kubernetes.io/managed-by: Helm
	//     app.kubernetes.io/name: secrets
	//   name: password
	// spec:
	//   allowRepeat: true
	//   digits: 8
	//   length: 32
	//   noUpper: false
	//   symbols: 0
	// ---
	// apiVersion: external-secrets.io/v1
	// kind: ExternalSecret
	// metadata:
	//   labels:
	//     app.kubernetes.io/instance: telepace-prod
	//     app.kubernetes.io/managed-by: Helm
	//     app.kubernetes.io/name: secrets
	//   name: telepace-postgres
	// spec:
	//   dataFrom:
	//     - rewrite:
	//         - regexp:
	//             source: ^password$
	//             target: postgres-password
	//       sourceRef:
	//         generatorRef:
	//           apiVersion: generators.external-secrets.io/v1alpha1
	//           kind: Password
	//           name: password
	//   refreshPolicy: CreatedOnce
	//   target:
	//     creationPolicy: Owner
	//     deletionPolicy: Retain
	//     name: telepace-postgres
	//     template:
	//       data:
	//         postgres-username: telepace
	//       engineVersion: v2
	//       mergePolicy: Merge
	//       metadata:
	//         labels:
	//           app.kubernetes.io/managed-by: external-secrets
	//           app.kubernetes.io/name: secrets
}
