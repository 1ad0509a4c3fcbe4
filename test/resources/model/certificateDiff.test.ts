/**
 * The Certificate model's diff: what replaces (certificate, key, type, SVM, name), what is an update without a
 * call (profile, how the name was given), and when a replacement must delete first (an explicit name kept).
 */
import {
  type CertificateOutputs,
  type CheckedCertificateInputs,
  autoName,
  diffCertificate,
} from "../../../provider/resources/model";

const olds: CertificateOutputs = {
  uuid: "0b6d6f51-0000-4000-8000-000000000001",
  name: "kmip-client-1a2b3c4",
  autoNamed: true,
  type: "client",
  certificate: "CERT-A",
  privateKey: "KEY-A",
  svm: "vs0",
  svmUuid: "0b6d6f51-0000-4000-8000-000000000002",
  scope: "svm",
  adopt: false,
  commonName: "ontap-kmip",
  serialNumber: "01",
  expiryTime: "2030-01-01T00:00:00.000Z",
  keyPairId: "ab",
};

const news = (over: Partial<CheckedCertificateInputs> = {}): CheckedCertificateInputs => ({
  name: olds.name,
  autoNamed: true,
  type: "client",
  certificate: "CERT-A",
  privateKey: "KEY-A",
  svm: "vs0",
  adopt: false,
  ...over,
});

test("the same inputs make no change", () => {
  expect(diffCertificate(olds, news())).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
});

test.each<[string, Partial<CheckedCertificateInputs>, string[]]>([
  ["a renewed certificate", { certificate: "CERT-B" }, ["certificate"]],
  ["a new key", { privateKey: "KEY-B" }, ["privateKey"]],
  ["another SVM", { svm: "vs1" }, ["svm"]],
  ["an explicit new name", { name: "kmip-2026", autoNamed: false }, ["name"]],
])("%s replaces, the new one first when auto-named", (_what, over, replaces) => {
  const d = diffCertificate(olds, news(over));
  expect(d).toEqual({ changes: true, replaces, deleteBeforeReplace: false });
});

test("a renewal with an explicit name kept must delete first (names are unique per SVM)", () => {
  const named = { ...olds, name: "kmip-client", autoNamed: false };
  expect(
    diffCertificate(named, news({ name: "kmip-client", autoNamed: false, certificate: "CERT-B" })),
  ).toEqual({
    changes: true,
    replaces: ["certificate"],
    deleteBeforeReplace: true,
  });
});

test("profile, adopt, or naming it explicitly with its own name change nothing on ONTAP", () => {
  expect(diffCertificate(olds, news({ profile: "siteB" }))).toEqual({
    changes: true,
    replaces: [],
    deleteBeforeReplace: false,
  });
  expect(diffCertificate(olds, news({ adopt: true })).changes).toBe(false);
  expect(diffCertificate(olds, news({ autoNamed: false }))).toEqual({
    changes: true,
    replaces: [],
    deleteBeforeReplace: false,
  });
});

test("automatic names keep only characters ONTAP accepts", () => {
  expect(autoName("my cert/1", "abcdef0")).toBe("my-cert-1-abcdef0");
});
