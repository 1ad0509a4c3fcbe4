/**
 * The dynamic provider object of {@link KeyServer}: this module's exports object itself. Pulumi serializes it into every
 * resource's state (`__provider`, stored twice per resource). Because the object is a module's exports, Pulumi's
 * closure serializer writes `require("pulumi-ontap-keymanager/bin/provider/resources/lazy/ks.js")` (about 300 bytes) when the package is
 * installed in a node_modules; when it is linked from elsewhere (this repository's own programs) it serializes
 * these one-liners by value, which works the same. Each method loads the implementation at call time, so nothing is
 * captured and a method loads only what it needs.
 *
 * @packageDocumentation
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the serialized provider must load code at call time */
import type * as pulumi from "@pulumi/pulumi";

type Impl = typeof import("../impl/keyServerProvider");
type P = Required<pulumi.dynamic.ResourceProvider>;

/** Loads the implementation by package name: serialized code has no file name to resolve a relative path from. */
const impl = (): Impl => require("pulumi-ontap-keymanager/ks") as Impl;

/** See {@link pulumi.dynamic.ResourceProvider.configure}. */
export const configure: P["configure"] = (r) => impl().configure(r);
/** See {@link pulumi.dynamic.ResourceProvider.check}. */
export const check: P["check"] = (o, n) => impl().check(o, n);
/** See {@link pulumi.dynamic.ResourceProvider.diff}. */
export const diff: P["diff"] = (i, o, n) => impl().diff(i, o, n);
/** See {@link pulumi.dynamic.ResourceProvider.create}. */
export const create: P["create"] = (n) => impl().create(n);
/** See {@link pulumi.dynamic.ResourceProvider.read}. */
export const read: P["read"] = (i, p) => impl().read(i, p);
/** See {@link pulumi.dynamic.ResourceProvider.update}. */
export const update: P["update"] = (i, o, n) => impl().update(i, o, n);
/** See {@link pulumi.dynamic.ResourceProvider.delete}. */
const delete_: P["delete"] = (i, p) => impl().delete(i, p);
export { delete_ as delete };
