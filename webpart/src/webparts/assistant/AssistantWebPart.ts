/**
 * The SharePoint host of the chat: gets an Entra token for the assistant's API from SharePoint
 * (`aadTokenProviderFactory`, permission approved in the admin centre) and hands the chat an
 * AskClient that sends it as a bearer header. The chat reads the answer stream with fetch
 * (AadHttpClient cannot stream).
 */
import * as React from 'react';
import * as ReactDom from 'react-dom';
import { Version } from '@microsoft/sp-core-library';
import {
  type IPropertyPaneConfiguration,
  PropertyPaneDropdown,
  PropertyPaneTextField,
  PropertyPaneToggle
} from '@microsoft/sp-property-pane';
import { BaseClientSideWebPart } from '@microsoft/sp-webpart-base';

import * as strings from 'AssistantWebPartStrings';
import { AskClient } from '../../chat/api';
import { Chat } from '../../chat/Chat';
import { Language, languageOf } from '../../chat/loc';

export interface IAssistantWebPartProps {
  title: string;
  apiBaseUrl: string;
  apiAppId: string;
  siteOnly: boolean;
  language: 'auto' | Language;
}

export default class AssistantWebPart extends BaseClientSideWebPart<IAssistantWebPartProps> {
  private _client: AskClient | undefined;
  private _clientFor = '';

  private _language(): Language {
    const chosen = this.properties.language;
    return chosen === 'de' || chosen === 'en' ? chosen : languageOf(this.context.pageContext.cultureInfo.currentUICultureName);
  }

  /** The Graph site id of this page's site (hostname,siteCollectionId,webId), as the index stores it. */
  private _siteId(): string {
    const page = this.context.pageContext;
    const host = new URL(page.web.absoluteUrl).hostname;
    return `${host},${page.site.id.toString()},${page.web.id.toString()}`;
  }

  private _askClient(): AskClient {
    const key = `${this.properties.apiBaseUrl}|${this.properties.apiAppId}`;
    if (!this._client || this._clientFor !== key) {
      const appId = this.properties.apiAppId;
      this._client = new AskClient({
        baseUrl: this.properties.apiBaseUrl,
        credentials: async () => {
          const provider = await this.context.aadTokenProviderFactory.getTokenProvider();
          const token = await provider.getToken(appId);
          return { headers: { Authorization: `Bearer ${token}` } };
        }
      });
      this._clientFor = key;
    }
    return this._client;
  }

  public render(): void {
    if (!this.properties.apiBaseUrl || !this.properties.apiAppId) {
      ReactDom.render(React.createElement('p', { role: 'status' }, strings.NotConfigured), this.domElement);
      return;
    }
    ReactDom.render(
      React.createElement(Chat, {
        title: this.properties.title || strings.DefaultTitle,
        language: this._language(),
        client: this._askClient(),
        site: this.properties.siteOnly ? this._siteId() : undefined
      }),
      this.domElement
    );
  }

  protected onDispose(): void {
    ReactDom.unmountComponentAtNode(this.domElement);
  }

  protected get dataVersion(): Version {
    return Version.parse('1.0');
  }

  protected getPropertyPaneConfiguration(): IPropertyPaneConfiguration {
    return {
      pages: [
        {
          header: { description: strings.PropertyPaneDescription },
          groups: [
            {
              groupName: strings.ConnectionGroupName,
              groupFields: [
                PropertyPaneTextField('apiBaseUrl', { label: strings.ApiBaseUrlLabel, description: strings.ApiBaseUrlDescription }),
                PropertyPaneTextField('apiAppId', { label: strings.ApiAppIdLabel, description: strings.ApiAppIdDescription })
              ]
            },
            {
              groupName: strings.DisplayGroupName,
              groupFields: [
                PropertyPaneTextField('title', { label: strings.TitleLabel }),
                PropertyPaneToggle('siteOnly', { label: strings.SiteOnlyLabel }),
                PropertyPaneDropdown('language', {
                  label: strings.LanguageLabel,
                  options: [
                    { key: 'auto', text: strings.LanguageAuto },
                    { key: 'de', text: 'Deutsch' },
                    { key: 'en', text: 'English' }
                  ]
                })
              ]
            }
          ]
        }
      ]
    };
  }
}
