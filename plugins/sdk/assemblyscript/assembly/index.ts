// @emdash/plugin-sdk: write EmDash plugins (ABI emdash/0) in AssemblyScript.
export * from "./json";
export * from "./abi";
export * from "./host";
