/**
 * The program of the repository's own Pulumi project (Pulumi.yaml): the quickstart, examples/quickstart. Its
 * config keys live in this project's namespace, e.g. `pulumi config set clientCertificate cluster-client`.
 *
 * @packageDocumentation
 */
import { program } from "./examples/quickstart/program";

export = program;
