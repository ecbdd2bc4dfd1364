using AgentMessage.Server.Hosting;

await AgentMessageApp.Build(args).RunAsync();
