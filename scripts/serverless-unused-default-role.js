/**
 * A Serverless Framework plugin that removes the framework's default Lambda role once no resource refers to
 * it. serverless-iam-roles-per-function gives every function a role of its own, copied from that default
 * role, and leaves the default in the template: a role no function assumes, with log grants on every
 * function's log group, which anything granted at provider level would also land on. Listed after that
 * plugin in serverless.yml, so its hook (the same one) runs after the copies are made.
 */
class UnusedDefaultRolePlugin {
  constructor(serverless) {
    this.hooks = {
      'before:package:finalize': () => {
        const template = serverless.service.provider.compiledCloudFormationTemplate;
        const roleId = serverless.getProvider('aws').naming.getRoleLogicalId();
        if (!template.Resources[roleId]) return;
        const { [roleId]: _role, ...others } = template.Resources;
        if (!JSON.stringify({ ...template, Resources: others }).includes(`"${roleId}"`)) delete template.Resources[roleId];
      },
    };
  }
}

module.exports = UnusedDefaultRolePlugin;
