// Package environments declares dev, staging and prod, one file each, holding
// only what differs between them: replicas and resources, image tags (one map
// per environment, the single source of truth), domains, the values of
// TELEPACE_ENVIRONMENT and NEXT_PUBLIC_*, and the addresses of the database,
// cache and object store.
//
// Each environment also says how its services are exposed (Gateway): the
// Gateway its HTTPRoutes attach to (dev's chart carries its own; staging and
// prod attach to the separately run gateway layer), the Kong plugins every
// route applies, with limits and CORS origins of its own, and whether
// floating image tags are allowed (AllowFloatingTags).
//
// Environment.Compose turns an environment into Microservice constructs
// under its chart, and the apps' routes into HTTPRoutes; problems with the
// environment itself, and those that span services (clashing routes,
// unknown services or plugins), are reported through cdk8s validation with
// everything else.
package environments
