/**
 * The implementation behind `certificateProvider`: Pulumi's dynamic provider methods for `Certificate`, gluing
 * the pure model (validation, naming, diff) to `/api/security/certificates`. Loaded by package name at call
 * time by the serialized provider, so module state (config, pools, locks) is shared with the other resources.
 *
 * Calls: install = 1 GET (is the name free in the scope?) + 1 POST; refresh = 1 GET; delete = 1 DELETE (plus
 * 1 GET of the key managers only when ONTAP refuses because one uses it, to name it). A version probe
 * (`GET /api/cluster`, once per cluster and process) checks for ONTAP 9.8, which introduced certificate names.
 *
 * @packageDocumentation
 */

import type * as dynamic from "@pulumi/pulumi/dynamic";
import {
  CERTIFICATE_NAMES,
  type InstalledCertificateRecord,
  OntapNotFoundError,
  OntapUnsupportedError,
  deleteCertificate,
  findCertificatesNamed,
  getCertificate,
  installCertificate,
  isOutcomeUnknown,
  keyManagersUsingCertificate,
  OntapCode,
} from "../../ontap";
import type { OntapClient } from "../../ontap/client";
import {
  type CertificateInputs,
  type CertificateOutputs,
  type CheckedCertificateInputs,
  EXPIRY_WARNING_DAYS,
  buildCertificateOutputs,
  certificateInputsFromOutputs,
  checkCertificate,
  daysUntil,
  diffCertificate,
  isKnownCertificateInputs,
  isUuid,
  parseCertificateOutputs,
  sameSerial,
} from "../model";
import { clientFor } from "./connection";
import { hasOntapCode, messageOf } from "./failures";
import {
  certificateLock,
  checkedInputs,
  configureFor,
  diffResult,
  knownInputs,
  outputsRecord,
  profileOf,
} from "./glue";
import { withLock } from "./locks";
import { assertBounded, settle, settleCheck } from "./settle";

/** Stores the stack config (connection settings and credentials); see `setConfig`. */
export const configure = configureFor("Certificate");

/** Validates and normalises inputs, names the certificate. No network calls. */
export function check(olds: unknown, news: unknown): Promise<dynamic.CheckResult> {
  return settleCheck("Certificate", news, () => {
    const result = checkCertificate(olds, news);
    return { inputs: result.inputs, failures: result.failures };
  });
}

function checked(news: unknown): CheckedCertificateInputs {
  // The inputs the engine passes back have been checked: they carry the name and `autoNamed`.
  return checkedInputs("Certificate", checkCertificate({}, news));
}

function known(news: unknown): CertificateInputs {
  return knownInputs("Certificate", checked(news), isKnownCertificateInputs);
}

/** Previous outputs against checked inputs. No network calls. */
export function diff(_id: string, olds: unknown, news: unknown): Promise<dynamic.DiffResult> {
  return settle(
    "Certificate diff",
    () => {
      const outcome = diffCertificate(parseCertificateOutputs(olds), checked(news));
      return diffResult(outcome);
    },
    olds,
    news,
  );
}

function describe(inputs: { name: string; svm?: string }): string {
  return `certificate "${inputs.name}" in ${inputs.svm === undefined ? "the cluster" : `SVM "${inputs.svm}"`}`;
}

async function requireNames(client: OntapClient, inputs: CertificateInputs): Promise<void> {
  try {
    await client.requireVersion(CERTIFICATE_NAMES.minVersion, CERTIFICATE_NAMES.feature);
  } catch (err) {
    if (!(err instanceof OntapUnsupportedError)) throw err;
    throw new Error(
      `${describe(inputs)} cannot be installed: ${err.feature} need ONTAP ${err.requiredVersion} or later, and ` +
        `${err.target ?? "the cluster"} runs ONTAP ${err.actualVersion}. Nothing was changed. Fix: install it ` +
        `with \`security certificate install\` and refer to it from the KeyManager by UUID.`,
      { cause: err },
    );
  }
}

/** Whether a record is the certificate these inputs install (same serial, type and scope). */
function isThisCertificate(
  record: InstalledCertificateRecord,
  inputs: CertificateInputs,
  serial: string,
): boolean {
  return (
    record.serial_number !== undefined &&
    sameSerial(record.serial_number, serial) &&
    (record.type === undefined || record.type === inputs.type)
  );
}

function taken(inputs: CertificateInputs, found: InstalledCertificateRecord, cause?: unknown): Error {
  return new Error(
    `${describe(inputs)} already exists (uuid ${found.uuid}), and names are unique in an SVM. Nothing was ` +
      `changed. Fix: omit \`name\` to get an automatic one, choose another name, or, if it is this very ` +
      `certificate (same serial number), set \`adopt: true\` to take it over (dynamic resources cannot be imported).`,
    cause === undefined ? undefined : { cause },
  );
}

/** A record from an answer must be a UUID-identified certificate of that name and serial: anything else is an error. */
function verified(
  record: InstalledCertificateRecord,
  inputs: CertificateInputs,
  serial: string,
  what: string,
): InstalledCertificateRecord {
  const problems: string[] = [];
  if (!isUuid(record.uuid)) problems.push("its uuid is not a UUID");
  if (record.name !== undefined && record.name !== inputs.name) problems.push("it has another name");
  if (!isThisCertificate(record, inputs, serial)) problems.push("it is another certificate (serial or type)");
  if (problems.length > 0) {
    throw new Error(
      `ONTAP's answer to ${what} of ${describe(inputs)} does not describe it: ${problems.join(", ")}. Nothing ` +
        `is recorded; check the cluster (security certificate show) before running \`pulumi up\` again.`,
    );
  }
  return record;
}

/** See {@link createResource}. */
export function create(news: unknown): Promise<dynamic.CreateResult> {
  return settle("Certificate create", () => createResource(news), news);
}

/**
 * Installs the certificate: one GET (nothing of that name in the scope, or, with `adopt`, the same certificate
 * to take over), then one POST with `return_records=true`. A lost answer is reconciled by looking again.
 */
async function createResource(news: unknown): Promise<dynamic.CreateResult> {
  const inputs = known(news);
  const client = clientFor(inputs.profile);
  const serial = buildCertificateOutputs(inputs, { uuid: "" }).serialNumber;
  const done = (record: InstalledCertificateRecord): dynamic.CreateResult => {
    const outputs = buildCertificateOutputs(inputs, {
      uuid: record.uuid,
      ...(record.svm?.uuid !== undefined ? { svmUuid: record.svm.uuid } : {}),
      ...(record.subject_key_identifier !== undefined
        ? { subjectKeyIdentifier: record.subject_key_identifier }
        : {}),
    });
    return { id: outputs.uuid, outs: outputsRecord(outputs) };
  };
  return withLock(certificateLock(inputs), async () => {
    await requireNames(client, inputs);
    const [existing] = await findCertificatesNamed(client, inputs.name, inputs.svm);
    if (existing) {
      if (inputs.adopt && isThisCertificate(existing, inputs, serial)) return done(existing);
      throw taken(inputs, existing);
    }
    let record: InstalledCertificateRecord | undefined;
    try {
      record = await installCertificate(client, {
        ...(inputs.svm !== undefined ? { svmName: inputs.svm } : {}),
        name: inputs.name,
        type: inputs.type,
        publicCertificate: inputs.certificate,
        ...(inputs.privateKey !== undefined ? { privateKey: inputs.privateKey } : {}),
      });
    } catch (err) {
      if (hasOntapCode(err, OntapCode.CERTIFICATE_DUPLICATE)) {
        const [other] = await findCertificatesNamed(client, inputs.name, inputs.svm).catch(() => []);
        if (other) throw taken(inputs, other, err);
      }
      if (!isOutcomeUnknown(err)) {
        throw new Error(`could not install ${describe(inputs)}: ${messageOf(err)} Nothing was changed.`, {
          cause: err,
        });
      }
      // The POST may have been applied although its answer was lost: look before failing.
      const [found] = await findCertificatesNamed(client, inputs.name, inputs.svm).catch(() => []);
      if (found && isThisCertificate(found, inputs, serial))
        return done(verified(found, inputs, serial, "a lookup"));
      throw new Error(
        `could not confirm the installation of ${describe(inputs)}: ${messageOf(err)} It is not installed now; ` +
          `run \`pulumi up\` again.`,
        { cause: err },
      );
    }
    if (!record) {
      // An answer without the record (a job, or an empty body): find what was installed.
      [record] = await findCertificatesNamed(client, inputs.name, inputs.svm);
      if (!record)
        throw new Error(`ONTAP accepted ${describe(inputs)} but does not list it; run \`pulumi up\` again.`);
    }
    return done(verified(record, inputs, serial, "the POST"));
  });
}

/** See {@link updateResource}. */
export function update(id: string, olds: unknown, news: unknown): Promise<dynamic.UpdateResult> {
  return settle("Certificate update", () => updateResource(id, olds, news), olds, news);
}

/** Only what ONTAP does not hold changes in place (`profile`, `adopt`, how the name was given): no calls. */
function updateResource(_id: string, olds: unknown, news: unknown): Promise<dynamic.UpdateResult> {
  const previous = parseCertificateOutputs(olds);
  const inputs = known(news);
  const { profile: _p, ...kept } = previous;
  const outputs: CertificateOutputs = {
    ...kept,
    adopt: inputs.adopt,
    autoNamed: inputs.autoNamed,
    ...(inputs.profile !== undefined ? { profile: inputs.profile } : {}),
  };
  return Promise.resolve({ outs: outputsRecord(outputs) });
}

function warnIfExpiring(outputs: CertificateOutputs): void {
  const days = daysUntil(outputs.expiryTime);
  if (days > EXPIRY_WARNING_DAYS) return;
  const where = outputs.svm === undefined ? "cluster scope" : `SVM "${outputs.svm}"`;
  const when = days < 0 ? `expired ${-days} day(s) ago` : `expires in ${days} day(s)`;
  process.stderr.write(
    `warning: certificate "${outputs.name}" (${where}, uuid ${outputs.uuid}) ${when}, on ${outputs.expiryTime}. ` +
      `Renew it: give the Certificate the renewed PEM (same key pair for a key manager's client certificate).\n`,
  );
}

/**
 * Refresh: one GET by UUID. Gone when ONTAP answers 404 (a certificate removed or replaced outside Pulumi shows
 * as drift); an answer about another certificate is an error. Warns on stderr when it expires within 30 days.
 */
export async function read(id: string, props: unknown): Promise<dynamic.ReadResult> {
  assertBounded("Certificate read", props);
  const previous = parseCertificateOutputs(props);
  const client = clientFor(previous.profile);
  const record = await getCertificate(client, id);
  if (!record) return { id: "", props: {} };
  if (record.uuid.toLowerCase() !== id.toLowerCase()) {
    throw new Error(
      `ONTAP answered a read of certificate ${id} with certificate ${record.uuid}; nothing was recorded.`,
    );
  }
  if (record.serial_number !== undefined && !sameSerial(record.serial_number, previous.serialNumber)) {
    throw new Error(
      `ONTAP reports another serial number for certificate ${id} than the one installed; nothing was recorded. ` +
        `Check the cluster (security certificate show).`,
    );
  }
  const outputs: CertificateOutputs = {
    ...previous,
    ...(record.name !== undefined ? { name: record.name } : {}),
    ...(record.type === "client" || record.type === "server_ca" ? { type: record.type } : {}),
    ...(record.subject_key_identifier !== undefined
      ? { subjectKeyIdentifier: record.subject_key_identifier }
      : {}),
  };
  warnIfExpiring(outputs);
  return {
    id: outputs.uuid,
    props: outputsRecord(outputs),
    inputs: { ...certificateInputsFromOutputs(outputs) },
  };
}

function labelOf(id: string, props: unknown): string {
  const p = typeof props === "object" && props !== null ? (props as { name?: unknown; svm?: unknown }) : {};
  const name = typeof p.name === "string" ? `"${p.name}" ` : "";
  const where = typeof p.svm === "string" ? `SVM "${p.svm}"` : "the cluster";
  return `certificate ${name}(${id}) in ${where}`;
}

/**
 * One DELETE; a certificate already gone counts as deleted. ONTAP refuses to remove one a key manager uses
 * (3735683; 52560272 "in use by subsystems" on later releases): the refusal names the key manager (one GET).
 */
export async function delete_(id: string, props: unknown): Promise<void> {
  assertBounded("Certificate delete", props);
  const client = clientFor(profileOf(props));
  const label = labelOf(id, props);
  try {
    await deleteCertificate(client, id);
  } catch (err) {
    if (err instanceof OntapNotFoundError) return;
    if (isOutcomeUnknown(err)) {
      if ((await getCertificate(client, id)) === undefined) return;
      throw new Error(
        `${label} was NOT deleted: the answer was lost (${messageOf(err)}) and it still exists. Run the operation again.`,
        {
          cause: err,
        },
      );
    }
    if (hasOntapCode(err, OntapCode.CERTIFICATE_USED_BY_KEY_MANAGER, OntapCode.CERTIFICATE_IN_USE)) {
      const users = await keyManagersUsingCertificate(client, id).catch(() => undefined);
      const who =
        users && users.length > 0
          ? users.map((u) => `key manager ${u.uuid} (${u.scope}) uses it as its ${u.role}`).join("; ")
          : "a key manager uses it";
      throw new Error(
        `${label} was NOT deleted: ${who}, and ONTAP refuses to remove a certificate in use. Nothing was changed; ` +
          `it stays in the stack. Fix: point the KeyManager at another certificate first (an auto-named ` +
          `Certificate is replaced create-before-delete, so the KeyManager switches before the old one goes). ` +
          `ONTAP said: ${messageOf(err)}`,
        { cause: err },
      );
    }
    throw new Error(
      `${label} was NOT deleted: ${messageOf(err)} Nothing was changed; it stays in the stack.`,
      {
        cause: err,
      },
    );
  }
}

export { delete_ as delete };
