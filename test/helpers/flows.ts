// The smallest Flow JSON that passes the Flow JSON check: one terminal screen, WELCOME, with a Footer.
export const MINIMAL_FLOW_JSON = {
  version: '7.0',
  screens: [
    {
      id: 'WELCOME',
      title: 'Welcome',
      terminal: true,
      layout: { type: 'SingleColumnLayout', children: [{ type: 'Footer', label: 'Done', 'on-click-action': { name: 'complete', payload: {} } }] },
    },
  ],
};
