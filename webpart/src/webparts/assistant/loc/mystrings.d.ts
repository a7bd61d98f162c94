declare interface IAssistantWebPartStrings {
  PropertyPaneDescription: string;
  ConnectionGroupName: string;
  DisplayGroupName: string;
  ApiBaseUrlLabel: string;
  ApiBaseUrlDescription: string;
  ApiAppIdLabel: string;
  ApiAppIdDescription: string;
  TitleLabel: string;
  DefaultTitle: string;
  SiteOnlyLabel: string;
  LanguageLabel: string;
  LanguageAuto: string;
  NotConfigured: string;
}

declare module 'AssistantWebPartStrings' {
  const strings: IAssistantWebPartStrings;
  export = strings;
}
