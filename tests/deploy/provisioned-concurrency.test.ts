import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { functionEntries } from '../../bench/support/build';
import { packagedService, VARIANT_PARAMS } from '../support/package';

/**
 * docs/operations.md#provisioned-concurrency: each HTTP function's provisioned concurrency is a param,
 * off by default; set, the function gets a `provisioned` alias holding that many environments, and its
 * HTTP API route invokes the alias.
 */
type Resource = { Type: string; Properties: Record<string, any> };
type Template = { Resources: Record<string, Resource> };
const templates = {} as Record<'default' | 'provisioned', Template>;

beforeAll(async () => {
  templates.default = (await packagedService('create')).template;
  templates.provisioned = (await packagedService('provisioned')).template;
}, 600_000);

const ofType = (template: Template, type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
/** Each HTTP function's logical id (`create-user` is `CreateDashuser`), as osls names it. */
const logicalId = (name: string) => name.replace(/-/g, 'Dash').replace(/^./, (c) => c.toUpperCase());
const camel = (name: string) => name.replace(/-(.)/g, (_, c: string) => c.toUpperCase());

/** What the template's HTTP API integrations and permissions invoke, by function. */
function invoked(template: Template): Record<string, string[]> {
  const targets = [
    ...ofType(template, 'AWS::ApiGatewayV2::Integration').map(([, r]) => r.Properties.IntegrationUri),
    ...ofType(template, 'AWS::Lambda::Permission')
      .filter(([, r]) => r.Properties.Principal === 'apigateway.amazonaws.com')
      .map(([, r]) => r.Properties.FunctionName),
  ];
  const byFunction: Record<string, string[]> = {};
  for (const target of targets) {
    const joined = target['Fn::Join'] as [string, [{ 'Fn::GetAtt': [string, string] }, string]] | undefined;
    const [id, alias] = joined ? [joined[1][0]['Fn::GetAtt'][0], joined[1][1]] : [target['Fn::GetAtt'][0] as string, '$LATEST'];
    byFunction[id] = [...(byFunction[id] ?? []), alias];
  }
  return byFunction;
}

const httpFunctions = functionEntries().filter((entry) => entry.http);

describe('provisioned concurrency', () => {
  it('is a param of every HTTP function of serverless.yml, 0 (off) by default', () => {
    const yml = yaml.load(readFileSync(path.resolve(__dirname, '../../serverless.yml'), 'utf8'), { json: true, schema: yaml.JSON_SCHEMA }) as any;
    const declared = Object.fromEntries(httpFunctions.map(({ name }) => [name, yml.functions[name].provisionedConcurrency]));
    const defaults = Object.fromEntries(httpFunctions.map(({ name }) => [name, yml.params.default[`${camel(name)}ProvisionedConcurrency`]]));

    expect({ declared, defaults }).toEqual({
      declared: Object.fromEntries(httpFunctions.map(({ name }) => [name, `\${param:${camel(name)}ProvisionedConcurrency}`])),
      defaults: Object.fromEntries(httpFunctions.map(({ name }) => [name, 0])),
    });
  });

  it('by default creates no alias: every route invokes its function directly', () => {
    expect(ofType(templates.default, 'AWS::Lambda::Alias')).toEqual([]);
    expect(invoked(templates.default)).toEqual(
      Object.fromEntries(httpFunctions.map(({ name }) => [`${logicalId(name)}LambdaFunction`, ['$LATEST', '$LATEST']])),
    );
  });

  it('set for one function, keeps that many environments on a `provisioned` alias its routes invoke, and leaves the others on demand', () => {
    const aliases = ofType(templates.provisioned, 'AWS::Lambda::Alias').map(([, alias]) => ({
      function: alias.Properties.FunctionName,
      name: alias.Properties.Name,
      environments: alias.Properties.ProvisionedConcurrencyConfig,
    }));

    expect(aliases).toEqual([
      {
        function: { Ref: 'ListLambdaFunction' },
        name: 'provisioned',
        environments: { ProvisionedConcurrentExecutions: Number(VARIANT_PARAMS.provisioned.listProvisionedConcurrency) },
      },
    ]);
    expect(invoked(templates.provisioned)).toEqual(
      Object.fromEntries(
        httpFunctions.map(({ name }) => [`${logicalId(name)}LambdaFunction`, name === 'list' ? ['provisioned', 'provisioned'] : ['$LATEST', '$LATEST']]),
      ),
    );
  });
});
