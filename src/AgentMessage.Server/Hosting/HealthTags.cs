namespace AgentMessage.Server.Hosting;

public static class HealthTags
{
    public const string Ready = "ready";
}
