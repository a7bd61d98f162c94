define([], function () {
  return {
    PropertyPaneDescription: 'Der Assistent antwortet aus den Dokumenten, die die Lesenden öffnen dürfen.',
    ConnectionGroupName: 'Verbindung',
    DisplayGroupName: 'Anzeige',
    ApiBaseUrlLabel: 'Basis-URL der API',
    ApiBaseUrlDescription: 'Zum Beispiel https://assistent.contoso.com',
    ApiAppIdLabel: 'App-ID der API (Entra-Anwendungs-ID-URI oder Client-ID)',
    ApiAppIdDescription: 'Zum Beispiel api://00000000-0000-0000-0000-000000000000',
    TitleLabel: 'Titel',
    DefaultTitle: 'Assistent',
    SiteOnlyLabel: 'Nur Dokumente dieser Website',
    LanguageLabel: 'Sprache',
    LanguageAuto: 'Sprache der Seite',
    NotConfigured: 'Legen Sie in den Eigenschaften des Webparts die Basis-URL und die App-ID der API fest.'
  };
});
