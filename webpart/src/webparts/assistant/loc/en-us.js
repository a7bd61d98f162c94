define([], function () {
  return {
    PropertyPaneDescription: 'The assistant answers from the documents the reader may open.',
    ConnectionGroupName: 'Connection',
    DisplayGroupName: 'Display',
    ApiBaseUrlLabel: 'API base URL',
    ApiBaseUrlDescription: 'For example https://assistant.contoso.com',
    ApiAppIdLabel: 'API app id (Entra application ID URI or client id)',
    ApiAppIdDescription: 'For example api://00000000-0000-0000-0000-000000000000',
    TitleLabel: 'Title',
    DefaultTitle: 'Assistant',
    SiteOnlyLabel: "Only this site's documents",
    LanguageLabel: 'Language',
    LanguageAuto: 'Language of the page',
    NotConfigured: 'Set the API base URL and the API app id in the web part properties.'
  };
});
