// Text imports (`import sql from "./x.sql" with { type: "text" }`): Bun gives the file's text as
// the default export, which is how migrations and Lua scripts get embedded in compiled binaries.
declare module "*.sql" {
  const text: string;
  // biome-ignore lint/style/noDefaultExport: a text import's only export is its default
  export default text;
}
declare module "*.lua" {
  const text: string;
  // biome-ignore lint/style/noDefaultExport: a text import's only export is its default
  export default text;
}
// Stylesheets imported by the dashboard (ui/): Bun's bundler puts them in the page's CSS.
declare module "*.css";
// The API reference page's script (the Scalar standalone bundle), embedded as a file.
declare module "*/standalone.js" {
  const path: string;
  // biome-ignore lint/style/noDefaultExport: a file import's only export is its default
  export default path;
}
