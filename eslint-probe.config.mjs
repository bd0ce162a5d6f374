import base from './eslint.config.js';
export default [...base, { rules: { 'require-await': 'error', 'no-restricted-syntax': ['error', { selector: ':function > Identifier.params[name="o"], :function > AssignmentPattern.params > Identifier.left[name="o"], :function > TSParameterProperty.params Identifier[name="o"]', message: 'name it' }] } }];
