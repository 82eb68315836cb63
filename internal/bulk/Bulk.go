package bulk

import (
	_jsii_ "github.com/aws/jsii-runtime-go/runtime"
	_init_ "github.com/telepace/platform-charts/internal/bulk/jsii"

	"github.com/aws/constructs-go/constructs/v10"
)

// Builds part of a construct tree in one call: plain constructs, cdk8s API objects, and annotations on API objects made by earlier calls.
//
// A call from Go into the jsii kernel costs far more than the work most
// calls do, and the kernel checks every value it is handed, field by
// field. `Bulk.apply` takes a whole batch as one JSON file instead, so a
// chart's objects cost one call, and JSON.parse, in place of several
// calls per object.
type Bulk interface {
}

// The jsii proxy struct for Bulk
type jsiiProxy_Bulk struct {
	_ byte // padding
}

// Applies the operations in the file `opsFile`, in order, and returns how many constructs the "c" and "h" operations created;
//
// `construct`
// returns each of them.
//
// The file holds a JSON array of operations, each an array whose first
// element names it:
//
//   - `["c", parent, id]`: `new Construct(parent, id)`.
//   - `["h", parent, id, props]`: `new Chart(parent, id, props)`, props
//     being the chart's `ChartProps` as JSON.
//   - `["o", parent, id, apiVersion, kind, metadata, patches]`:
//     `new ApiObject(parent, id, { apiVersion, kind, metadata })`, then one
//     `addJsonPatch` call with `JsonPatch.add(path, value)` for each
//     `[path, value]` pair of `patches`, when there are any.
//   - `["a", parent, id, key, value]`: adds the annotation `key: value` to
//     the API object `id` of `parent`.
//   - `["b", n]`: checks that "c" and "h" operations made n constructs
//     before this one, as the caller counts them.
//
// A `parent` of 0 or more is `scopes[parent]`; a negative one, -(i+1), is
// the i-th construct that a "c" or "h" operation created, counting
// every call of the kernel's life: so a caller may encode its next call
// before this one returns.
//
// `flush` is the caller's way to hand over what it still holds; the
// first one given is kept for the life of the kernel. From then on, a
// construct added to any tree other than by this method makes the
// kernel call `flush.validate()` first, so that the caller's constructs
// keep their place in the tree; and `flush` is a validation of the root
// of every tree (the cdk8s App) that a construct is added to, or that this
// method's scopes belong to, which cdk8s runs before it writes the app.
//
// The operations come in a file, not as an argument: the kernel would
// parse a string argument as part of its request, escaped a second
// time, and read it in pipe-sized chunks.
//
// Returns: how many constructs the "c" and "h" operations created.
func Bulk_Apply(scopes *[]constructs.Construct, opsFile *string, flush constructs.IValidation) *float64 {
	_init_.Initialize()

	if err := validateBulk_ApplyParameters(scopes, opsFile, flush); err != nil {
		panic(err)
	}
	var returns *float64

	_jsii_.StaticInvoke(
		"@telepace/cdk8s-bulk.Bulk",
		"apply",
		[]interface{}{scopes, opsFile, flush},
		&returns,
	)

	return returns
}

// Returns the i-th construct that a "c" or "h" operation created, counting from 0 over every call of the kernel's life.
//
// `apply` returns how many it made, not the constructs: handing a
// construct back to the caller costs the kernel a reference and a
// description of it, and most are never asked for.
func Bulk_Construct(i *float64) constructs.Construct {
	_init_.Initialize()

	if err := validateBulk_ConstructParameters(i); err != nil {
		panic(err)
	}
	var returns constructs.Construct

	_jsii_.StaticInvoke(
		"@telepace/cdk8s-bulk.Bulk",
		"construct",
		[]interface{}{i},
		&returns,
	)

	return returns
}
