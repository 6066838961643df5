/** The paper's published numbers and claims: read in core/ (the Pulumi plan needs them too). */
export * from "../core/paperReference";
