/** Topics only the platform may publish on (DESIGN.md, "MQTT topics"). */
export function isPlatformOnlyTopic(baseTopic: string, topic: string): boolean {
  return topic.startsWith('$') || topic.startsWith(`${baseTopic}/subjects/`) || topic.startsWith(`${baseTopic}/quarantine/`);
}
