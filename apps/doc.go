// Package apps describes the five Telepace services, one file each: what is
// true of a service in every environment (image repository, ports, probes,
// settings, Secrets, writable paths, termination and migrations). Facts that
// were never published are modelled as documented defaults, which an
// environment can override through Service.Customize.
//
// Environment-specific values (image tag, replicas, resources, domains and
// backend addresses) come from package environments through Context.
package apps
