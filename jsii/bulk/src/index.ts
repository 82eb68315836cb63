import { ApiObject, JsonPatch } from 'cdk8s';
import { Construct, IConstruct, IValidation } from 'constructs';

/** The roots Bulk.apply has added its caller's flush validation to. */
const hooked = new WeakSet<IConstruct>();

/**
 * Builds part of a construct tree in one call: plain constructs, cdk8s
 * API objects, and annotations on API objects made by earlier calls.
 *
 * A call from Go into the jsii kernel costs far more than the work most
 * calls do, and the kernel checks every value it is handed, field by
 * field. `Bulk.apply` takes a whole batch as one JSON string instead, so a
 * chart's objects cost one call, and JSON.parse, in place of several
 * calls per object.
 */
export class Bulk {
  /**
   * Applies the operations in `ops`, in order, and returns the constructs
   * the "c" operations created, in order.
   *
   * `ops` is a JSON array of operations, each an array whose first element
   * names it:
   *
   * - `["c", parent, id]`: `new Construct(parent, id)`.
   * - `["o", parent, id, apiVersion, kind, metadata, patches]`:
   *   `new ApiObject(parent, id, { apiVersion, kind, metadata })`, then one
   *   `addJsonPatch` call with `JsonPatch.add(path, value)` for each
   *   `[path, value]` pair of `patches`, when there are any.
   * - `["a", parent, id, key, value]`: adds the annotation `key: value` to
   *   the API object `id` of `parent`.
   *
   * A `parent` of 0 or more is `scopes[parent]`; a negative one, -(i+1), is
   * the i-th construct an earlier "c" operation of this call created.
   *
   * `flush`, when given, is added once as a validation of the root of each
   * scope's tree (the cdk8s App). cdk8s validates the tree before it writes
   * anything, the root first, so the caller can hand over, from `flush`,
   * what it still holds when the app is synthesised.
   *
   * @param scopes the existing constructs the operations name
   * @param ops the operations, as JSON
   * @param flush a validation that hands over what the caller holds
   * @returns the constructs the "c" operations created
   */
  public static apply(scopes: Construct[], ops: string, flush?: IValidation): Construct[] {
    if (flush !== undefined) {
      for (const scope of scopes) {
        const root = scope.node.root;
        if (!hooked.has(root)) {
          root.node.addValidation(flush);
          hooked.add(root);
        }
      }
    }
    const made: Construct[] = [];
    const parentOf = (ref: number): Construct => {
      const parent = ref >= 0 ? scopes[ref] : made[-ref - 1];
      if (parent === undefined) {
        throw new Error(`Bulk.apply: no construct ${ref}`);
      }
      return parent;
    };
    for (const op of JSON.parse(ops) as any[][]) {
      switch (op[0]) {
        case 'c':
          made.push(new Construct(parentOf(op[1]), op[2]));
          break;
        case 'o': {
          const obj = new ApiObject(parentOf(op[1]), op[2], { apiVersion: op[3], kind: op[4], metadata: op[5] });
          const patches = op[6] as [string, any][];
          if (patches.length > 0) {
            obj.addJsonPatch(...patches.map(([path, value]) => JsonPatch.add(path, value)));
          }
          break;
        }
        case 'a':
          ApiObject.of(parentOf(op[1]).node.findChild(op[2])).metadata.addAnnotation(op[3], op[4]);
          break;
        default:
          throw new Error(`Bulk.apply: unknown operation ${JSON.stringify(op[0])}`);
      }
    }
    return made;
  }

  private constructor() {}
}
