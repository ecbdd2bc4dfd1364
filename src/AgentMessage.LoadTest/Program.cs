using AgentMessage.LoadTest;

return await LoadTestRun.MainAsync(args);
