// Command etcd is etcd built from go.etcd.io/etcd/server/v3 (the upstream
// etcd binary's module carries replace directives and cannot be
// `go install`ed). It is only used by the e2e harness in test/e2e.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
