package names_test

import (
	"fmt"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
)

func ExampleRemoteName() {
	google := &pc.SecretStoreProps{GoogleSecretManager: &pc.GoogleSecretManager{ProjectID: "telepace-prod"}}
	name, _ := names.RemoteName(google, "prod", names.PostgresSecret, "postgres-password")
	fmt.Println(names.Release("prod"), name)
	// Output: telepace-prod prod-telepace-postgres-postgres-password
}
