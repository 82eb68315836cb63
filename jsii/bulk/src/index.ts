import { ApiObject, Chart, ChartProps, JsonPatch } from 'cdk8s';
import { Construct, IConstruct, IValidation, Node } from 'constructs';

// Node.js's file system module; the library declares no dependency on
// Node.js's type definitions for this one function.
declare function require(id: 'fs'): { readFileSync(path: string, encoding: 'utf8'): string };
const fs = require('fs');

/** The caller's flush, once Bulk.apply has been given it. */
let flushHook: IValidation | undefined;

/** How many Bulk.apply calls are running (a flush may run inside another). */
let applying = 0;

/** Every construct a "c" or "h" operation created, in order. */
const created: Construct[] = [];

/** The roots the flush is a validation of. */
const hooked = new WeakSet<IConstruct>();

/** Adds the flush as a validation of root, once. */
function hookRoot(root: IConstruct): void {
  if (flushHook !== undefined && !hooked.has(root)) {
    root.node.addValidation(flushHook);
    hooked.add(root);
  }
}

/**
 * Keeps `flush` and makes every construct added to a tree from outside
 * Bulk.apply call it first, so that what the caller holds joins the tree
 * before the new construct, in the order it was made.
 */
function install(flush: IValidation): void {
  if (flushHook !== undefined) {
    return;
  }
  flushHook = flush;
  const proto = Node.prototype as any;
  const addChild = proto.addChild as (this: Node, child: IConstruct, childName: string) => void;
  proto.addChild = function (this: Node, child: IConstruct, childName: string): void {
    if (applying === 0) {
      hookRoot(this.root);
      flush.validate();
    }
    addChild.call(this, child, childName);
  };
}

/**
 * Builds part of a construct tree in one call: plain constructs, cdk8s
 * API objects, and annotations on API objects made by earlier calls.
 *
 * A call from Go into the jsii kernel costs far more than the work most
 * calls do, and the kernel checks every value it is handed, field by
 * field. `Bulk.apply` takes a whole batch as one JSON file instead, so a
 * chart's objects cost one call, and JSON.parse, in place of several
 * calls per object.
 */
export class Bulk {
  /**
   * Applies the operations in the file `opsFile`, in order, and returns
   * how many constructs the "c" and "h" operations created; `construct`
   * returns each of them.
   *
   * The file holds a JSON array of operations, each an array whose first
   * element names it:
   *
   * - `["c", parent, id]`: `new Construct(parent, id)`.
   * - `["h", parent, id, props]`: `new Chart(parent, id, props)`, props
   *   being the chart's `ChartProps` as JSON.
   * - `["o", parent, id, apiVersion, kind, metadata, patches]`:
   *   `new ApiObject(parent, id, { apiVersion, kind, metadata })`, then one
   *   `addJsonPatch` call with `JsonPatch.add(path, value)` for each
   *   `[path, value]` pair of `patches`, when there are any.
   * - `["a", parent, id, key, value]`: adds the annotation `key: value` to
   *   the API object `id` of `parent`.
   * - `["b", n]`: checks that "c" and "h" operations made n constructs
   *   before this one, as the caller counts them.
   *
   * A `parent` of 0 or more is `scopes[parent]`; a negative one, -(i+1), is
   * the i-th construct that a "c" or "h" operation created, counting
   * every call of the kernel's life: so a caller may encode its next call
   * before this one returns.
   *
   * `flush` is the caller's way to hand over what it still holds; the
   * first one given is kept for the life of the kernel. From then on, a
   * construct added to any tree other than by this method makes the
   * kernel call `flush.validate()` first, so that the caller's constructs
   * keep their place in the tree; and `flush` is a validation of the root
   * of every tree (the cdk8s App) that a construct is added to, or that this
   * method's scopes belong to, which cdk8s runs before it writes the app.
   *
   * The operations come in a file, not as an argument: the kernel would
   * parse a string argument as part of its request, escaped a second
   * time, and read it in pipe-sized chunks.
   *
   * @param scopes the existing constructs the operations name
   * @param opsFile the path of a file that holds the operations, as JSON
   * @param flush hands over what the caller holds
   * @returns how many constructs the "c" and "h" operations created
   */
  public static apply(scopes: Construct[], opsFile: string, flush: IValidation): number {
    install(flush);
    applying++;
    try {
      for (const scope of scopes) {
        hookRoot(scope.node.root);
      }
      return run(scopes, JSON.parse(fs.readFileSync(opsFile, 'utf8')) as any[][]);
    } finally {
      applying--;
    }
  }

  /**
   * Returns the i-th construct that a "c" or "h" operation created,
   * counting from 0 over every call of the kernel's life.
   *
   * `apply` returns how many it made, not the constructs: handing a
   * construct back to the caller costs the kernel a reference and a
   * description of it, and most are never asked for.
   *
   * @param i the construct's place
   */
  public static construct(i: number): Construct {
    const c = created[i];
    if (c === undefined) {
      throw new Error(`Bulk.construct: no construct ${i}; the kernel holds ${created.length}`);
    }
    return c;
  }

  private constructor() {}
}


/** Runs the operations of one Bulk.apply call; returns how many constructs it made. */
function run(scopes: Construct[], ops: any[][]): number {
  let made = 0;
  const parentOf = (ref: number): Construct => {
    const parent = ref >= 0 ? scopes[ref] : created[-ref - 1];
    if (parent === undefined) {
      throw new Error(`Bulk.apply: no construct ${ref}`);
    }
    return parent;
  };
  for (const op of ops) {
    switch (op[0]) {
      case 'c':
        created.push(new Construct(parentOf(op[1]), op[2]));
        made++;
        break;
      case 'h':
        created.push(new Chart(parentOf(op[1]), op[2], op[3] as ChartProps));
        made++;
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
      case 'b':
        if (created.length !== op[1]) {
          throw new Error(`Bulk.apply: the kernel holds ${created.length} constructs of Bulk.apply, the caller counts ${op[1]}`);
        }
        break;
      default:
        throw new Error(`Bulk.apply: unknown operation ${JSON.stringify(op[0])}`);
    }
  }
  return made;
}
