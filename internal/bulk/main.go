package bulk

import (
	"reflect"

	_jsii_ "github.com/aws/jsii-runtime-go/runtime"
)

func init() {
	_jsii_.RegisterClass(
		"@telepace/cdk8s-bulk.Bulk",
		reflect.TypeOf((*Bulk)(nil)).Elem(),
		nil, // no members
		func() interface{} {
			return &jsiiProxy_Bulk{}
		},
	)
}
