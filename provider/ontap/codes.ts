/**
 * What ONTAP error codes mean for key managers and key servers, and what the user can do about them.
 *
 * The table holds every code listed in the project's API facts (shared/ontap-key-managers-api.md, "Error
 * codes"), plus the REST framework's common validation codes. Messages are attached to errors so that a user sees the meaning even when ONTAP's own message is
 * terse, and the remedy when there is one. Clients must not depend on ONTAP's message text; they may depend
 * on these codes.
 *
 * @packageDocumentation
 */

/** The meaning of one ONTAP error code and, where one exists, what fixes it. */
export interface OntapCodeInfo {
  /** What the code means, in a few words. */
  readonly meaning: string;
  /** What the user can do, when something can be done. */
  readonly remedy?: string;
}

const TLS_REMEDY =
  "check that the key server is reachable from every node and that the client and server CA certificates installed in ONTAP match the key server's";
const METROCLUSTER_REMEDY =
  "configure the same key management on both MetroCluster sites (create it on the partner site first, or remove the conflicting configuration there)";
const ENCRYPTED_DATA_REMEDY =
  "the key manager still protects data: decrypt or delete the encrypted volumes (and NAE aggregates) that depend on it first, or keep the key manager";

/**
 * The ONTAP error codes the provider acts on, by name (decimal strings, as in `error.code` and
 * a failed job's `ontapCode`); {@link ONTAP_CODES} says what each means.
 */
export const OntapCode = {
  /** The SVM (scope) already has a key manager. */
  SCOPE_HAS_KEY_MANAGER: "65536823",
  /** Onboard key management is already configured. */
  ONBOARD_ALREADY_CONFIGURED: "65536907",
  /** Key servers are already configured. */
  KEY_SERVERS_ALREADY_CONFIGURED: "65536870",
  /** A certificate the request names is not installed in the scope. */
  CERTIFICATE_NOT_INSTALLED: "65536821",
  /** The existing onboard passphrase does not match. */
  PASSPHRASE_MISMATCH: "65536139",
  /** Duplicate key servers. */
  DUPLICATE_KEY_SERVER: "65536871",
  /** More key servers than a key manager allows (4). */
  TOO_MANY_KEY_SERVERS: "65536038",
  /** The key manager is not external, so it has no key servers. */
  NOT_EXTERNAL: "65536828",
  /** The key server is not configured for the SVM. */
  KEY_SERVER_NOT_CONFIGURED: "65536843",
  /** The key server holds keys in use that no other configured key server has. */
  KEY_SERVER_HOLDS_ONLY_COPY: "65536700",
  /** Secondary key servers need an effective cluster version of ONTAP 9.11.1 or later. */
  SECONDARY_SERVERS_NEED_9111: "65538503",
  /** A secondary key server is also a primary key server of the key manager. */
  SECONDARY_IS_A_PRIMARY: "65538502",
  /** A certificate of that name (and type) is already installed in the scope: a duplicate entry. */
  CERTIFICATE_DUPLICATE: "1",
  /** The certificate cannot be removed while an external key manager uses it. */
  CERTIFICATE_USED_BY_KEY_MANAGER: "3735683",
  /** The certificate is in use by one or more subsystems. */
  CERTIFICATE_IN_USE: "52560272",
  /** The key manager UUID of a key-ids listing is not that of a key manager. */
  KEY_IDS_NOT_A_KEY_MANAGER: "65537125",
  /** Encrypted volumes exist in the SVM (DELETE key-managers). */
  ENCRYPTED_VOLUMES_EXIST: "65536867",
  /** Encrypted volumes exist in the SVM (DELETE key-managers, another form). */
  ENCRYPTED_VOLUMES_FOUND: "65536239",
  /** The key-store configuration is enabled and cannot be deleted. */
  KEY_STORE_ENABLED: "65538905",
  /** The key-store configuration does not exist, or the operation does not support it. */
  KEY_STORE_NOT_FOUND: "65538908",
  /** The key-store configuration is already enabled. */
  KEY_STORE_ALREADY_ENABLED: "65539218",
  /** Switching the admin SVM's key store needs an effective cluster version of 9.16.1. */
  KEY_STORE_SWITCH_NEEDS_9161: "65539513",
  /** Deleting an inactive configuration of the admin SVM needs an effective cluster version of 9.16.1. */
  KEY_STORE_DELETE_NEEDS_9161: "65539521",
  /** An inactive configuration cannot be deleted while the key store is switching. */
  KEY_STORE_DELETE_WHILE_SWITCHING: "65539593",
} as const;

/**
 * ONTAP error codes (as the decimal strings ONTAP sends in `error.code`) and their meaning.
 * Job failures carry the same numbers as integers; look them up with {@link describeOntapCode}.
 */
export const ONTAP_CODES: Readonly<Record<string, OntapCodeInfo>> = {
  "4": {
    meaning: "entry doesn't exist",
  },
  // POST key-managers
  "65536038": {
    meaning: "at most 4 active key servers are allowed per key manager",
    remedy: "list at most 4 key servers",
  },
  "65536821": {
    meaning: "the certificate is not installed",
    remedy:
      "install the certificate in the same scope as the key manager (the cluster's admin SVM or the data SVM), or correct the certificate reference",
  },
  "65536822": {
    meaning: "multitenant (SVM-scoped) key management is not supported in this cluster version",
    remedy: "use a cluster-scoped key manager, or upgrade ONTAP",
  },
  "65536823": {
    meaning: "the SVM already has a key manager",
    remedy: "set adopt: true to take it over, or delete the existing one",
  },
  "65536824": {
    meaning: "multitenant (SVM-scoped) key management is not supported with MetroCluster",
    remedy: "use a cluster-scoped key manager on MetroCluster",
  },
  "65536834": {
    meaning: "the existing key-server details could not be read",
    remedy:
      "retry; if it persists, check the key manager on the cluster (security key-manager external show)",
  },
  "65536852": {
    meaning: "the supported KMIP protocol versions could not be queried",
    remedy: TLS_REMEDY,
  },
  "65536870": {
    meaning: "key servers are already configured",
    remedy: "adopt the existing key manager, or remove its key servers first",
  },
  "65536871": {
    meaning: "duplicate key servers",
    remedy: "list each key server once (a server without a port means port 5696)",
  },
  "65536876": {
    meaning:
      "external key management needs a client certificate, server CA certificates and at least one server",
    remedy: "set the client certificate, at least one server CA certificate and at least one key server",
  },
  "65536878": {
    meaning: "the SVM's keys are held by the cluster key manager",
    remedy: "remove the SVM's keys from the cluster key manager first, or keep using the cluster key manager",
  },
  "65536895": {
    meaning: "key management conflicts with the MetroCluster partner",
    remedy: METROCLUSTER_REMEDY,
  },
  "65536900": {
    meaning: "key management conflicts with the MetroCluster partner",
    remedy: METROCLUSTER_REMEDY,
  },
  "65536906": {
    meaning: "key management conflicts with the MetroCluster partner",
    remedy: METROCLUSTER_REMEDY,
  },
  "65536310": {
    meaning: "key management conflicts with the MetroCluster partner",
    remedy: METROCLUSTER_REMEDY,
  },
  "65536903": {
    meaning: "onboard key management setup failed on some nodes",
    remedy: "check the nodes' health, then run the operation again",
  },
  "65536907": {
    meaning: "onboard key management is already configured",
    remedy: "set adopt: true to take it over, or delete the existing onboard key manager",
  },
  "65536916": {
    meaning: "onboard key management is only supported on the admin SVM",
    remedy: "create the onboard key manager at cluster scope (omit the SVM)",
  },
  "65536920": {
    meaning: "the passphrase length is incorrect",
    remedy: "use a passphrase of 32 to 256 ASCII characters",
  },
  "65536508": {
    meaning: "this platform does not support data-at-rest encryption",
  },
  "65536214": {
    meaning: "the cluster key encryption key could not be generated",
    remedy: "retry; if it persists, check the cluster's health",
  },
  "65536216": {
    meaning: "the cluster key encryption key could not be added",
    remedy: "retry; if it persists, check the cluster's health",
  },
  "66060338": {
    meaning: "TLS to the key server failed: the server CA certificate is not valid for it",
    remedy: "install and reference the CA certificate that signed the key server's certificate",
  },
  "66060339": {
    meaning: "TLS to the key server failed: the key server rejected the client certificate",
    remedy: "reference a client certificate the key server trusts",
  },
  "66060340": {
    meaning: "TLS to the key server failed in the KMIP library",
    remedy: TLS_REMEDY,
  },
  "66060341": {
    meaning: "TLS to the key server failed: the network connection could not be made",
    remedy: "check the key server's address and port and the network between the nodes and the key server",
  },
  // PATCH key-managers
  "65536828": {
    meaning: "external key management is not enabled for the SVM",
    remedy: "create an external key manager for the SVM first",
  },
  "65536850": {
    meaning: "the new client certificate has a different key pair",
    remedy:
      "use a renewed client certificate with the same key pair, or replace the key manager (the key server must trust the new key)",
  },
  "65536917": {
    meaning: "a passphrase rotation needs both the existing and the new passphrase",
    remedy: "supply the current passphrase together with the new one",
  },
  "65536150": {
    meaning: "the new passphrase equals the old one",
    remedy: "choose a different passphrase",
  },
  "65536139": {
    meaning: "the existing passphrase does not match",
    remedy:
      "set onboard.currentPassphrase (a secret) to the passphrase the cluster holds now and run the operation again",
  },
  // GET key-ids (9.11+)
  "65537125": {
    meaning: "the key manager UUID is not the UUID of a key manager",
    remedy: "run `pulumi refresh`: the key manager may have been deleted or replaced outside Pulumi",
  },
  "65536404": {
    meaning: "the passphrase length is incorrect",
    remedy: "use a passphrase of 32 to 256 ASCII characters",
  },
  "65536802": {
    meaning: "the passphrase length is incorrect in Common Criteria mode",
    remedy: "use a longer passphrase, as Common Criteria mode requires",
  },
  "65536406": {
    meaning: "the passphrase change failed",
    remedy: "check the nodes' health, then run the operation again",
  },
  "65536407": {
    meaning: "the passphrase change failed on some nodes",
    remedy: "check the nodes' health, then run the operation again",
  },
  "65536408": {
    meaning: "the passphrase change failed on some nodes",
    remedy: "check the nodes' health, then run the operation again",
  },
  // DELETE key-managers
  "65536242": {
    meaning: "self-encrypting drives hold an authentication key from this key manager",
    remedy: "rekey the self-encrypting drives to the default (MSID) authentication key first",
  },
  "65536813": {
    meaning: "encrypted core files exist",
    remedy: "delete the encrypted core files first",
  },
  "65536817": {
    meaning: "ONTAP cannot tell whether it is safe to disable key management",
    remedy: "retry; if it persists, check the cluster's health",
  },
  "65536827": {
    meaning: "ONTAP cannot tell whether the SVM has encrypted volumes",
    remedy: "retry; if it persists, check the cluster's health",
  },
  "65536867": {
    meaning: "encrypted volumes exist in the SVM",
    remedy: ENCRYPTED_DATA_REMEDY,
  },
  "65536239": {
    meaning: "encrypted volumes exist in the SVM",
    remedy: ENCRYPTED_DATA_REMEDY,
  },
  "196608301": {
    meaning: "ONTAP cannot tell the encryption type",
    remedy: "retry; if it persists, check the cluster's health",
  },
  "196608305": {
    meaning: "NAE aggregates exist",
    remedy: ENCRYPTED_DATA_REMEDY,
  },
  "65536800": {
    meaning: "the onboard keys cannot be looked up",
    remedy: "retry; if it persists, check the cluster's health",
  },
  "65536208": {
    meaning: "the SVM key ID cannot be deleted",
    remedy: "retry; if it persists, check the cluster's health",
  },
  "65536233": {
    meaning: "the onboard key database could not be deleted",
    remedy: "retry; if it persists, check the cluster's health",
  },
  "65536234": {
    meaning: "the onboard key database could not be deleted",
    remedy: "retry; if it persists, check the cluster's health",
  },
  // /security/key-stores (PATCH: switch to an inactive configuration; DELETE: remove an inactive one)
  "65538905": {
    meaning: "the key-store configuration is enabled and cannot be deleted",
    remedy: "switch to another configuration first (security key-manager keystore enable)",
  },
  "65538907": { meaning: "the key-store type is not supported by this operation" },
  "65538908": {
    meaning: "the key-store configuration does not exist, or this operation does not support it",
    remedy: "refresh: the configuration was removed outside this program",
  },
  "65538909": { meaning: "a value for enabled is required" },
  "65538910": { meaning: "disabling an enabled configuration this way is not supported" },
  "65539212": {
    meaning: "the key store cannot switch while it is not active or switching",
    remedy: "check the key store (security key-manager keystore show) and wait until it is active",
  },
  "65539218": { meaning: "the key-store configuration is already enabled" },
  "65539222": {
    meaning: "switching between key stores of different types is not supported on a data SVM",
    remedy: "on a data SVM, change between key-store types by deleting and recreating the key manager",
  },
  "65539513": {
    meaning:
      "switching the admin SVM's key store needs an effective cluster version of ONTAP 9.16.1 or later",
    remedy:
      "upgrade every node to 9.16.1 or later, or change the mode by a replacement (delete, then create)",
  },
  "65539515": {
    meaning: "the admin SVM switches only between onboard (OKM) and external (KMIP) key management",
  },
  "65539520": {
    meaning: "an inactive onboard configuration already exists on the admin SVM",
    remedy: "delete it (security key-manager keystore delete) or enable it, then run again",
  },
  "65539521": {
    meaning:
      "deleting an inactive configuration of the admin SVM needs an effective cluster version of ONTAP 9.16.1 or later",
    remedy: "upgrade every node to 9.16.1 or later",
  },
  "65539522": { meaning: "this key-store type cannot be deleted on the admin SVM" },
  "65539534": { meaning: "the key store cannot switch while system root volumes are encrypted with it" },
  "65539583": { meaning: "the key store cannot switch while the external key manager has a policy" },
  "65539585": {
    meaning: "an inactive external configuration already exists on the admin SVM",
    remedy: "delete it (security key-manager keystore delete) or enable it, then run again",
  },
  "65539593": {
    meaning: "an inactive configuration cannot be deleted while the key store is switching",
    remedy: "wait until the switch has ended (security key-manager keystore show), then run again",
  },
  "65536987": {
    meaning: "the key servers are not available",
    remedy: TLS_REMEDY,
  },
  "65536602": {
    meaning: "some nodes are out of quorum",
    remedy: "bring every node back into quorum, then run again",
  },
  // Key servers
  "65536921": {
    meaning: "the KMIP command to the key server failed",
    remedy: TLS_REMEDY,
  },
  "65536843": {
    meaning: "the key server is not configured for the SVM",
    remedy: "refresh: the key server was removed outside this program",
  },
  "65536845": {
    meaning: "the username is missing",
    remedy: "set the key server's username together with its password",
  },
  "65536846": {
    meaning: "the password is missing",
    remedy: "set the key server's password together with its username",
  },
  // Key-server PATCH: secondary key servers (clustered KMIP)
  "65537400": {
    meaning: "a primary key server has too many secondary key servers",
    remedy: "list at most 3 secondary key servers per primary",
  },
  "65538407": {
    meaning: "a secondary key server is a duplicate of its primary key server",
    remedy: "remove the primary's own address from its secondaryKeyServers",
  },
  "65538408": {
    meaning: "the list of secondary key servers contains duplicates",
    remedy: "list each secondary key server once (a server without a port means port 5696)",
  },
  "65538413": {
    meaning: "a secondary key server address is not formatted correctly",
    remedy: "write each secondary key server as host[:port]",
  },
  "65538502": {
    meaning: "a secondary key server is also a primary key server",
    remedy:
      "a key manager's primary key server cannot be another primary's secondary: remove it from one of the two lists",
  },
  "65538503": {
    meaning: "secondary key servers need an effective cluster version (every node) of ONTAP 9.11.1 or later",
    remedy: "remove secondaryKeyServers, or upgrade every node of the cluster to ONTAP 9.11.1 or later",
  },
  "65536700": {
    meaning: "the key server holds keys in use that no other configured key server has",
    remedy: "add another key server holding the same keys before removing this one",
  },
  // ONTAP's REST framework: codes any endpoint may answer before the subsystem sees the request.
  "262177": { meaning: "a required field is missing" },
  "262179": { meaning: "the request has an argument the operation does not know" },
  "262185": { meaning: "a field has an invalid value" },
  "262186": { meaning: "two fields cannot be used together" },
  "262190": { meaning: "the request changes nothing" },
  "262196": { meaning: "a field cannot be set in this operation" },
  "262197": {
    meaning: "a query parameter has an invalid value",
    remedy:
      "a field the provider asked for may not exist in this ONTAP release: report it with the ONTAP version",
  },
  "262202": { meaning: "a secret field was put in the URL" },
  "262212": { meaning: "a required value is missing" },
  "262249": { meaning: "a write-only field was asked for in a GET" },
  "2621462": { meaning: "the SVM does not exist", remedy: "check the SVM name (vserver show)" },
  // /security/certificates (POST, DELETE)
  "3735618": {
    meaning: "a private key was given with a CA certificate",
    remedy: "install a server_ca certificate without a private key",
  },
  "3735622": { meaning: "the certificate type is not supported" },
  "3735683": {
    meaning: "the certificate cannot be removed while an external key manager uses it",
    remedy: "point the key manager at another certificate first, then delete this one",
  },
  "3735693": {
    meaning: "the private key of a client certificate is missing",
    remedy: "give the client certificate's private key",
  },
  "52559972": {
    meaning: "the certificate is not valid yet",
    remedy: "install it once its validity has started, or check the cluster's clock",
  },
  "52559973": { meaning: "the certificate has expired", remedy: "install a renewed certificate" },
  "52559975": { meaning: "the certificate is not a valid PEM certificate" },
  "52559976": {
    meaning: "the certificate and private key do not match",
    remedy: "give the private key of this certificate",
  },
  "52560123": { meaning: "the private key is not a valid PEM key", remedy: "give an unencrypted PEM key" },
  "52560272": {
    meaning: "the certificate is in use by one or more subsystems",
    remedy: "point the key manager (or other user) at another certificate first, then delete this one",
  },
};

/**
 * Looks up an ONTAP error code.
 *
 * @param code - The code as ONTAP sent it: a decimal string in an error body, an integer in a job.
 * @returns Its meaning and remedy, or `undefined` for a code the table does not know.
 */
export function describeOntapCode(code: string | number | undefined | null): OntapCodeInfo | undefined {
  if (code === undefined || code === null) {
    return undefined;
  }
  // Own entries only: a code from a hostile answer such as "constructor" must not find Object.prototype's.
  const key = String(code).trim();
  return Object.hasOwn(ONTAP_CODES, key) ? ONTAP_CODES[key] : undefined;
}
