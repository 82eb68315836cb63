// Package environments declares dev, staging and prod, one file each, holding
// only what differs between them: replicas and resources, image tags (one map
// per environment, the single source of truth), domains, the values of
// TELEPACE_ENVIRONMENT and NEXT_PUBLIC_*, and the addresses of the database,
// cache and object store.
//
// Environment.Compose turns an environment into Microservice constructs under
// its chart; problems with the environment itself are reported through cdk8s
// validation with everything else.
package environments
