package environments

import (
	"time"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
)

// Secrets says where an environment's Secrets come from. Each Secret that
// a service, a Kong consumer or an Alertmanager receiver reads gets exactly
// one producer in the environment's chart, chosen in this order:
//
//  1. a SealedSecret listed in Sealed;
//  2. an ExternalSecret of generated passwords, listed in Generated;
//  3. an ExternalSecret reading Store (see names.RemoteName for the names it
//     reads).
//
// The chart never holds a secret value. Producing a key nobody reads is an
// error, and so is reading a key nothing produces.
//
// Every ExternalSecret orphans its Secret (creation policy Orphan): an
// owned Secret would be deleted with its ExternalSecret on an uninstall or
// a rollback to a revision without it, under running pods.
type Secrets struct {
	// Store is where ExternalSecrets read values. Defaults to none; then
	// every Secret must be generated or sealed.
	Store *pc.SecretStoreProps
	// RefreshInterval is how often values are read from Store again.
	// Required with Store.
	RefreshInterval time.Duration
	// Generated are Secrets of generated passwords, by Secret name.
	Generated map[string]GeneratedSecret
	// Sealed are Secrets sealed for the environment's cluster with
	// `synth seal`.
	Sealed []pc.SealedSecretProps
}

// GeneratedSecret is a Secret whose secret keys are passwords that the
// External Secrets Operator generates in the cluster, once.
type GeneratedSecret struct {
	// Passwords are the keys that get a generated password. Required.
	Passwords []string
	// Values are keys with fixed values that are not secret, such as a
	// user or database name.
	Values map[string]string
}

// developerStore is dev's store: Secrets that developers create by hand in
// the namespace, for the optional provider keys (see docs/secrets.md).
func developerStore() *pc.SecretStoreProps {
	return &pc.SecretStoreProps{Name: "developer-secrets", Kubernetes: &pc.KubernetesSecrets{}}
}

// googleStore is a Google Secret Manager store in project, authenticated
// by workload identity as the external-secrets service account.
func googleStore(project string) *pc.SecretStoreProps {
	return &pc.SecretStoreProps{
		Name: "google-secret-manager",
		GoogleSecretManager: &pc.GoogleSecretManager{
			ProjectID:      project,
			ServiceAccount: "external-secrets@" + project + ".iam.gserviceaccount.com",
		},
	}
}

// devDataStores are dev's data-store credentials, generated in the
// cluster: the services and the dev umbrella's middleware read the same
// Secrets.
func devDataStores() map[string]GeneratedSecret {
	return map[string]GeneratedSecret{
		names.PostgresSecret:     {Passwords: []string{"postgres-password"}, Values: map[string]string{"postgres-username": "telepace", "postgres-database": "telepace"}},
		names.RedisSecret:        {Passwords: []string{"redis-password"}},
		names.ObjectStoreSecret:  {Passwords: []string{"secret-key"}, Values: map[string]string{"access-key": "telepace"}},
		names.GrafanaAdminSecret: {Passwords: []string{"admin-password"}, Values: map[string]string{"admin-user": "admin"}},
	}
}
