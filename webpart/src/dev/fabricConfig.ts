// Imported first by main.tsx: the dev page runs offline, so Fluent UI must not fetch its web
// fonts from Microsoft's CDN (SharePoint pages have them already).
(window as unknown as { FabricConfig: object }).FabricConfig = { fontBaseUrl: '' };
export {};
