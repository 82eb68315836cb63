// Package names is the one place the platform's shared names are made:
// release names, the Secrets several parties read, the gateway's name, the
// alert routing's name, dashboard UIDs, and the names a secret store's
// values are read by.
//
// A name that two layers must agree on is written here once, and both
// refer to it: an environment's Monitoring selects by the release name the
// umbrella's Prometheus gets, the services and the dev umbrella's data
// stores read the same Secrets, and the README's setup steps name the
// store values the ExternalSecrets read.
package names
