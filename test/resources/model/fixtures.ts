import type { KeyManagerRecord } from "../../../provider/ontap";
import {
  type CheckedKeyManagerInputs,
  type KeyManagerInputs,
  type KeyManagerOutputs,
  buildKeyManagerOutputs,
  certificateRefsToResolve,
  checkKeyManager,
  isKnownKeyManagerInputs,
} from "../../../provider/resources/model";

/** Checked inputs of a valid KeyManager; throws with the failures otherwise. */
export function checked(news: unknown): CheckedKeyManagerInputs {
  const result = checkKeyManager({}, news);
  if (!result.valid) throw new Error(`unexpected failures: ${JSON.stringify(result.failures)}`);
  return result.inputs;
}

/** Checked, fully known inputs. */
export function known(news: unknown): KeyManagerInputs {
  const inputs = checked(news);
  if (!isKnownKeyManagerInputs(inputs)) throw new Error("expected known inputs");
  return inputs;
}

/** A stable fake UUID for a certificate name, as the glue's lookup would return. */
export function fakeUuid(name: string): string {
  let h = 0x811c9dc5;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  const hex = h.toString(16).padStart(8, "0");
  return `${hex}-0000-4000-8000-${hex}${hex.slice(0, 4)}`;
}

/** The resolution the glue would compute for inputs' certificate names. */
export function resolutionFor(inputs: KeyManagerInputs): Map<string, string> {
  return new Map(certificateRefsToResolve(inputs).map((name) => [name, fakeUuid(name)]));
}

export const KM_UUID = "0e1d2c3b-4a59-4876-a5b4-c3d2e1f00112";
export const SVM_UUID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";

/** Outputs right after a create of `news`. */
export function outputsAfterCreate(news: unknown): KeyManagerOutputs {
  const inputs = known(news);
  return buildKeyManagerOutputs(inputs, {
    uuid: KM_UUID,
    ...(inputs.svm !== undefined ? { svmUuid: SVM_UUID } : {}),
    certificates: resolutionFor(inputs),
  });
}

/** The ONTAP record matching outputs, as ONTAP would spell it. */
export function recordFor(outputs: KeyManagerOutputs): KeyManagerRecord {
  return {
    uuid: outputs.uuid,
    scope: outputs.scope,
    ...(outputs.svm !== undefined ? { svm: { uuid: outputs.svmUuid ?? SVM_UUID, name: outputs.svm } } : {}),
    ...(outputs.external
      ? {
          external: {
            client_certificate: { uuid: outputs.external.clientCertificateUuid },
            server_ca_certificates: [...new Set(outputs.external.serverCaCertificateUuids)].map((uuid) => ({
              uuid,
            })),
            servers: outputs.external.servers.map((s) => ({ ...s })),
          },
        }
      : {}),
    ...(outputs.onboard ? { onboard: { enabled: true } } : {}),
  };
}
