// Package environments declares dev, staging and prod, one file each,
// holding only what differs between them: replicas and resources, image
// tags (one map per environment, the single source of truth), domains, the
// values of TELEPACE_ENVIRONMENT and NEXT_PUBLIC_*, and the addresses of
// the database, cache and object store; and the types those files fill in.
//
// Each environment also says how its services are exposed (Gateway: the
// Gateway its HTTPRoutes attach to and the Kong plugins every route
// applies), how it is watched (Monitoring), where its Secrets come from
// (Secrets: a Google Secret Manager store in staging and prod, generated
// passwords and a developer store in dev), how Argo CD delivers it
// (Delivery), the Pod Security level of its namespace (PodSecurity), and,
// for dev, the third-party charts its umbrella installs (dev_umbrella.go,
// with the value types of pkg/chartvalues).
//
// The package holds data and nothing that computes with it: pkg/compose
// plans an environment into constructs and checks it, and pkg/names makes
// the names several layers share.
package environments
