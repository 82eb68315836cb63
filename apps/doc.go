// Package apps describes the Telepace services, one file each: what is
// true of a service in every environment (image repository, ports, probes,
// settings, Secrets, writable paths, termination, migrations, and its public
// routes through the gateway). Facts that
// were never published are modelled as documented defaults, which an
// environment can override through Service.Customize.
//
// Environment-specific values (image tag, replicas, resources, domains and
// backend addresses) come from package environments through Context.
//
// Public routes, on the environment's hosts:
//
//	web                      <web host>  /        (prefix)
//	analysis                 <API host>  /api/analysis   (prefix)
//	collection               <API host>  /api/collection (prefix)
//	feedback-collection-api  <API host>  /api/feedback   (prefix)
//	voiceflow                <API host>  GET /ws  (exact; the WebSocket)
//
// Backends receive the full path (no prefix is stripped); where a service
// serves elsewhere, that is an assumption to override. voiceflow's embedded
// UI, /audio_files/ and its unauthenticated POST /config are never routed:
// /config is declared in PrivatePaths, so any route that could reach it is
// an error.
package apps
