/**
 * pulumi-ontap-keymanager: Pulumi dynamic resources for NetApp ONTAP encryption key managers.
 *
 * @packageDocumentation
 */

/** The package version, as published. */
export const version = "0.1.0";
